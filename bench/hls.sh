#!/usr/bin/env bash
# HLS benchmark: Wharf packaging a 10-minute 1080p MP4 on the fly, next to what a user would run
# otherwise — `ffmpeg -c copy -f hls -hls_segment_type fmp4` packaging the same file offline, and
# nginx serving ffmpeg's segments. See bench/README.md.
#
#   bench/hls.sh
#
# Environment:
#   ROUNDS=5          cold starts measured (median reported)
#   DURATION=10       seconds of each wrk run
#   SEGMENTS=20       segments fetched in rotation by the warm run (they must fit the segment cache)
#   WHARF_BIN=path    use this wharf binary instead of building .build/release/wharf
#
# Prints a Markdown table on stdout (progress on stderr) and keeps logs and wrk outputs in
# bench/out/hls/. The 1080p source is made once with ffmpeg and kept there (~370 MB).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/bench/out/hls

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
SEGMENTS=${SEGMENTS:-20}
wharf_bin=${WHARF_BIN:-}
unset WHARF_BIN   # wharf rejects unknown WHARF_* variables

source bench/lib.sh
for v in ROUNDS DURATION SEGMENTS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a whole number, got '${!v}'"
done

setup_wharf bench test
taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null || die "needs CPUs 0 and 1 (servers on 0, wrk on 1)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

mkdir -p "$out"
exec 9>"$repo/bench/out/.lock"
flock -n 9 || die "another benchmark is running (lock: bench/out/.lock)"

# --- the source: 10 minutes of 1080p30 H.264 (2 s GOP, ~5 Mb/s) + AAC, moov at the front ----------
movie=$out/movie-1080p.mp4
if [[ ! -s $movie ]]; then
  log "making $movie with ffmpeg (a few minutes, once)"
  ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t 600 -map 0:v -map 1:a -c:v libx264 -preset ultrafast -tune zerolatency -g 60 -keyint_min 60 -sc_threshold 0 \
    -b:v 5M -maxrate 8M -bufsize 10M -c:a aac -b:a 128k -movflags +faststart -f mp4 "$out/.movie.partial"
  mv "$out/.movie.partial" "$movie"
fi

work=$(mktemp -d /tmp/wharf-bench-hls.XXXXXX)
chmod 755 "$work"
cleanup() { stop_servers; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/site" "$work/ffmpeg" "$work/nginx-tmp"
ln "$movie" "$work/site/movie.mp4" 2>/dev/null || cp "$movie" "$work/site/movie.mp4"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

busy=$(cpu_busy_percent)
((busy <= 10)) || log "warning: the CPUs were ${busy}% busy before starting; other work shares these cores"

# --- ffmpeg packaging the file offline (the stand-in) --------------------------------------------
log "ffmpeg -c copy -f hls (fmp4), $ROUNDS rounds"
: >"$out/ffmpeg.ms"
for ((i = 0; i < ROUNDS; i++)); do
  rm -rf "$work/ffmpeg"/*
  t0=$(now_ms)
  taskset -c 0 ffmpeg -nostdin -v error -y -i "$work/site/movie.mp4" -c copy -f hls -hls_time 6 -hls_playlist_type vod \
    -hls_segment_type fmp4 -hls_flags independent_segments -hls_fmp4_init_filename init.mp4 \
    -hls_segment_filename "$work/ffmpeg/seg-%d.m4s" -start_number 1 "$work/ffmpeg/index.m3u8"
  echo $(($(now_ms) - t0)) >>"$out/ffmpeg.ms"
done
ffmpeg_ms=$(median <"$out/ffmpeg.ms")

# --- wharf: time to the first playlist, cold (no stored plan) and after a restart ----------------
start_wharf() { # $1: cache dir; sets wharf_port and starts wharf on CPU 0
  wharf_port=$(free_port) admin_port=$(free_port)
  cat >"$work/wharf.toml" <<EOF
[hls]
cache_dir = "$1"
segment_cache_bytes = 1073741824
EOF
  (cd "$work" && WHARF_LOG_ACCESS=off WHARF_EVENT_LOOP_THREADS=1 exec taskset -c 0 "$wharf_bin" serve --root "$work/site" \
    --config wharf.toml --listen "127.0.0.1:$wharf_port" --admin-listen "127.0.0.1:$admin_port") >>"$out/wharf.log" 2>&1 &
  pids+=("$!")
  wait_up wharf "$!" "http://127.0.0.1:$admin_port/readyz" "$out/wharf.log" 150
}
first_playlist_ms() {
  local t0 code
  t0=$(now_ms)
  code=$(curl -sS -o "$work/master.m3u8" -w '%{http_code}' "http://127.0.0.1:$wharf_port/movie.mp4/master.m3u8")
  [[ $code == 200 ]] || die "master.m3u8 answered $code: $(head -c 300 "$work/master.m3u8")"
  echo $(($(now_ms) - t0))
}
: >"$out/wharf-cold.ms"; : >"$out/wharf-stored.ms"
: >"$out/wharf.log"
log "wharf first playlist, $ROUNDS cold starts and $ROUNDS restarts with the stored plan"
for ((i = 0; i < ROUNDS; i++)); do
  rm -rf "$work/plans"
  start_wharf "$work/plans"
  first_playlist_ms >>"$out/wharf-cold.ms"
  stop_servers
  start_wharf "$work/plans"
  first_playlist_ms >>"$out/wharf-stored.ms"
  stop_servers
done
cold_ms=$(median <"$out/wharf-cold.ms")
stored_ms=$(median <"$out/wharf-stored.ms")

# --- warm segments per second: wharf from its segment cache, nginx from ffmpeg's files ------------
cat >"$work/segments.lua" <<EOF
local n = 0
request = function()
  n = n % $SEGMENTS + 1
  return wrk.format("GET", "@PREFIX@seg-" .. n .. ".m4s")
end
EOF
run_wrk() { # $1 name, $2 base URL, $3 prefix
  sed "s|@PREFIX@|$3|" "$work/segments.lua" >"$work/$1.lua"
  taskset -c 1 wrk -t1 -c16 -d2s -s "$work/$1.lua" "$2" >/dev/null   # warm-up
  taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" --latency -s "$work/$1.lua" "$2" >"$out/wrk-$1.txt"
  grep -q "Non-2xx" "$out/wrk-$1.txt" && die "$1: some segment requests failed: $(grep Non-2xx "$out/wrk-$1.txt")"
  awk '/Requests\/sec/ { printf "%d", $2 }' "$out/wrk-$1.txt"
}

start_wharf "$work/plans"
for ((n = 1; n <= SEGMENTS; n++)); do
  curl -sf -o /dev/null "http://127.0.0.1:$wharf_port/movie.mp4/seg-$n.m4s" || die "wharf has no segment $n"
done
wharf_rps=$(run_wrk wharf "http://127.0.0.1:$wharf_port" /movie.mp4/)
wharf_bytes=$(for ((n = 1; n <= SEGMENTS; n++)); do curl -s "http://127.0.0.1:$wharf_port/movie.mp4/seg-$n.m4s" | wc -c; done | awk '{ s += $1 } END { print s }')
wharf_segments=$(curl -s "http://127.0.0.1:$wharf_port/movie.mp4/index.m3u8" | grep -c '^seg-')
stop_servers

nginx_port=$(free_port)
sed -e "s|@WORK@|$work|g" -e "s|@DOCROOT@|$work/ffmpeg|g" -e "s|@PORT@|$nginx_port|g" bench/nginx.conf.template >"$work/nginx.conf"
taskset -c 0 "$NGINX" -p "$work/" -c "$work/nginx.conf" -e "$out/nginx-error.log" >"$out/nginx-console.log" 2>&1 &
pids+=("$!")
wait_up nginx "$!" "http://127.0.0.1:$nginx_port/seg-1.m4s" "$out/nginx-error.log" 50
nginx_rps=$(run_wrk nginx "http://127.0.0.1:$nginx_port" /)
ffmpeg_bytes=$(for ((n = 1; n <= SEGMENTS; n++)); do stat -c %s "$work/ffmpeg/seg-$n.m4s"; done | awk '{ s += $1 } END { print s }')
ffmpeg_segments=$(ls "$work/ffmpeg" | grep -c '^seg-')
stop_servers

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
  echo "| measure | wharf | ffmpeg / nginx | wharf / peer |"
  echo "|---|---|---|---|"
  echo "| first playlist of a cold 10-min 1080p MP4 (parse + plan), median of $ROUNDS | ${cold_ms} ms | ${ffmpeg_ms} ms (\`ffmpeg -c copy -f hls\`, whole file) | $(ratio "$cold_ms" "$ffmpeg_ms") |"
  echo "| first playlist after a restart (stored plan) | ${stored_ms} ms | | |"
  echo "| warm segments per second ($SEGMENTS segments in rotation, 16 connections) | ${wharf_rps}/s | ${nginx_rps}/s (nginx, ffmpeg's files) | $(ratio "$wharf_rps" "$nginx_rps") |"
  echo
  echo "Segments: wharf $wharf_segments, ffmpeg $ffmpeg_segments; bytes of the first $SEGMENTS: wharf $wharf_bytes, ffmpeg $ffmpeg_bytes."
} | tee "$out/summary.md"
