#!/usr/bin/env bash
# Soak (issue #7): MINUTES of mixed load at saturation against one `wharf serve`, printing one
# row per minute: requests/s, p50/p99/max latency, errors, resident memory and open file
# descriptors. Then the verdicts: 0 errors, RSS flat within 10 % after the warm-up minute, file
# descriptors flat.
#
#   bench/soak.sh
#
# The mix, from one wrk Lua script (closed loop: CONNS connections, each waiting for its answer):
#   70 % static hits (HTML, CSS, JS, SVG, with and without Accept-Encoding, some conditional),
#   12 % warm transforms (a fixed set of widths), 6 % cold transforms (a width never asked before),
#   12 % HLS (playlists and segments of a 2-minute 720p MP4 made once with ffmpeg);
# and beside it a purge (a URL, a tag or a prefix) every 2 s through the admin API, each checked.
# wrk runs one minute at a time so each minute has its own latency distribution.
#
# Environment:
#   MINUTES=10   length of the soak
#   CONNS=32     wrk connections; at most half of images.queue_limit, so that a 503 would be a
#                real failure and not the queue's guard against the previous minute's leftovers
#   WHARF_BIN=path   use this binary
#
# Prints Markdown on stdout (progress on stderr); keeps logs in bench/out/soak/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/bench/out/soak

MINUTES=${MINUTES:-10}
CONNS=${CONNS:-32}
wharf_bin=${WHARF_BIN:-}
unset WHARF_BIN   # wharf rejects unknown WHARF_* variables

source bench/lib.sh
for v in MINUTES CONNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a whole number, got '${!v}'"
done
# wrk restarts each minute, and the transforms its last connections asked for still finish (and
# are cached): twice CONNS must fit images.queue_limit (64), or the queue's own guard (503) shows.
(( 2 * CONNS <= 64 )) || die "CONNS must be at most half of images.queue_limit (32)"

setup_wharf bench test
taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null || die "needs CPUs 0 and 1 (wharf on 0, load on 1)"

mkdir -p "$out"
exec 9>"$repo/bench/out/.lock"
flock -n 9 || die "another benchmark is running (lock: bench/out/.lock)"
busy=$(cpu_busy_percent)
(( busy < 20 )) || log "warning: the machine is already ${busy}% busy; figures will be low"

# --- the site: the bundled public/ plus a video ---------------------------------------------------
movie=$out/talk.mp4
if [[ ! -s $movie ]]; then
  log "making $movie with ffmpeg (once)"
  ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t 120 -map 0:v -map 1:a -c:v libx264 -preset ultrafast -g 60 -keyint_min 60 -sc_threshold 0 -b:v 2M \
    -c:a aac -b:a 96k -movflags +faststart -f mp4 "$out/.talk.partial"
  mv "$out/.talk.partial" "$movie"
fi
work=$(mktemp -d /tmp/wharf-soak.XXXXXX)
chmod 755 "$work"
cleanup() { stop_servers; rm -rf "$work"; }
trap cleanup EXIT
cp -r public "$work/site"
mkdir -p "$work/site/v"
cp "$movie" "$work/site/v/talk.mp4"
segments=$(( 120 / 6 ))

port=$(free_port) admin=$(free_port)
token=soak-token-$RANDOM$RANDOM$RANDOM
cat >"$work/wharf.toml" <<EOF
root = "$work/site"
listen = "127.0.0.1:$port"
admin_listen = "127.0.0.1:$admin"
[log]
access = "off"
[images]
cache_dir = "$work/cache/images"
# wrk is one address standing for many clients (a CDN's): no per-address share.
max_per_client = 0
[hls]
cache_dir = "$work/cache/hls"
[purge]
tokens = ["$token"]
state_dir = "$work/state"
EOF
log "starting wharf on CPU 0"
taskset -c 0 "$wharf_bin" serve --config "$work/wharf.toml" >"$out/wharf.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_up wharf "$pid" "http://127.0.0.1:$port/" "$out/wharf.log" 300

cat >"$work/mix.lua" <<'EOF'
-- One request per call, drawn from the mix; every status >= 400 is counted as an error.
local static = { "/", "/css/site.css", "/js/app.js", "/js/vendor.3f2a9c1d7e.js", "/img/logo.svg",
                 "/favicon.svg", "/robots.txt", "/docs/" }
local photos = { "/img/rocket.jpg", "/img/hubble_deep_field.jpg", "/img/chelsea.png", "/img/coffee.png" }
local warm_widths = { 160, 320, 480, 640 }
local formats = { "webp", "avif", "jpeg" }
counter = 0
errors = 0
statuses = ""   -- "code count" pairs of the failures, for the log
local failed = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  counter = counter + 1
  local r = math.random(100)
  local headers = {}
  local path
  if r <= 70 then
    path = static[math.random(#static)]
    if r <= 40 then headers["Accept-Encoding"] = "br, gzip" end
    if r <= 5 then headers["If-None-Match"] = "\"nope\"" end
  elseif r <= 82 then
    path = photos[math.random(#photos)] .. "?w=" .. warm_widths[math.random(#warm_widths)]
           .. "&fm=" .. formats[math.random(#formats)]
  elseif r <= 88 then
    -- A width no one asked before: 100..1999, keyed by time and a counter so it stays cold.
    local w = 100 + (os.time() * 7 + counter * 13 + (id or 0) * 31) % 1900
    path = photos[math.random(#photos)] .. "?w=" .. w .. "&fm=webp"
  else
    local h = math.random(10)
    if h == 1 then path = "/v/talk.mp4/master.m3u8"
    elseif h == 2 then path = "/v/talk.mp4/index.m3u8"
    elseif h == 3 then path = "/v/talk.mp4/init.mp4"
    else path = "/v/talk.mp4/seg-" .. math.random(1, @SEGMENTS@) .. ".m4s" end  -- numbered from 1
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if status >= 400 then
    errors = errors + 1
    if not failed[status] then
      -- The first answer of each failing status, for the log.
      io.write("SOAK-BODY " .. status .. " " .. string.sub(body or "", 1, 120) .. "\n")
    end
    failed[status] = (failed[status] or 0) + 1
    statuses = ""
    for code, n in pairs(failed) do statuses = statuses .. code .. "x" .. n .. " " end
  end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do
    e = e + t:get("errors")
    if t:get("statuses") ~= "" then io.write("SOAK-FAILED " .. t:get("statuses") .. "\n") end
  end
  io.write(string.format("SOAK requests=%d errors=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f rps=%.1f\n",
    summary.requests, e, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6)))
end
EOF
sed -i "s/@SEGMENTS@/$segments/" "$work/mix.lua"

# Purges beside the load: a URL, a tag, a prefix in turn, every 2 s; each must be accepted.
purge_loop() {
  local i=0 body code
  while :; do
    case $((i % 3)) in
      0) body='{"urls":["/css/site.css"]}' ;;
      1) body='{"tags":["/img/"]}' ;;
      2) body='{"prefixes":["/js/"]}' ;;
    esac
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:$admin/purge" || echo 000)
    echo "$code" >>"$work/purges"
    i=$((i + 1))
    sleep 2
  done
}
: >"$work/purges"
taskset -c 1 bash -c "$(declare -f purge_loop); token=$token admin=$admin work=$work; purge_loop" &
purger=$!
pids+=("$purger")

sample() { # RSS in MiB and open descriptors of wharf
  local rss fds
  rss=$(awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  echo "$rss $fds"
}

log "soak: $MINUTES minute(s), $CONNS connections"
echo "| minute | req/s | p50 ms | p99 ms | max ms | errors | purges (ok/sent) | RSS MiB | fds |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
rss_series=() fd_series=() total_errors=0
for ((m = 1; m <= MINUTES; m++)); do
  taskset -c 1 wrk -t1 -c"$CONNS" -d60s --timeout 10s -s "$work/mix.lua" "http://127.0.0.1:$port" >"$out/wrk-$m.txt" 2>&1 || true
  line=$(grep '^SOAK ' "$out/wrk-$m.txt" || true)
  [[ -n $line ]] || die "minute $m: wrk printed no summary: $(tail -3 "$out/wrk-$m.txt")"
  kill -0 "$pid" 2>/dev/null || die "wharf died in minute $m; see $out/wharf.log"
  eval "${line#SOAK }"
  read -r rss fds < <(sample)
  sent=$(wc -l <"$work/purges")
  ok=$(grep -cE '^(200|202)$' "$work/purges" || true)
  errs=$((errors + socket_errors))
  total_errors=$((total_errors + errs))
  rss_series+=("$rss") fd_series+=("$fds")
  printf '| %d | %.0f | %s | %s | %s | %d | %d/%d | %d | %d |\n' "$m" "$rps" "$p50_ms" "$p99_ms" "$max_ms" "$errs" "$ok" "$sent" "$rss" "$fds"
  log "minute $m: $rps req/s, p99 $p99_ms ms, $errs errors, RSS $rss MiB, $fds fds"
done
kill "$purger" 2>/dev/null || true
sent=$(wc -l <"$work/purges")
ok=$(grep -cE '^(200|202)$' "$work/purges" || true)

# Verdicts: after the first (warm-up) minute, RSS within 10 % of its median and descriptors within ±8.
verdict() { [[ $1 == 1 ]] && echo "**yes**" || echo "**no**"; }
steady=("${rss_series[@]:1}")
[[ ${#steady[@]} -gt 0 ]] || steady=("${rss_series[@]}")
read -r rss_min rss_max rss_med < <(printf '%s\n' "${steady[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[1], a[NR], a[int((NR + 1) / 2)] }')
read -r fd_min fd_max < <(printf '%s\n' "${fd_series[@]:1}" "${fd_series[0]}" | sort -n | awk '{ a[NR] = $1 } END { print a[1], a[NR] }')
rss_flat=$(awk -v lo="$rss_min" -v hi="$rss_max" -v med="$rss_med" 'BEGIN { print (hi - lo <= 0.10 * med) ? 1 : 0 }')
fd_flat=$(( fd_max - fd_min <= 8 ? 1 : 0 ))
echo
echo "| check | result |"
echo "|---|---|"
echo "| errors (HTTP ≥ 400 and socket errors) | $total_errors: $(verdict $(( total_errors == 0 ? 1 : 0 ))) |"
echo "| purges accepted | $ok of $sent: $(verdict $(( ok == sent && sent > 0 ? 1 : 0 ))) |"
echo "| RSS after minute 1 | $rss_min–$rss_max MiB (median $rss_med), flat within 10 %: $(verdict "$rss_flat") |"
echo "| open descriptors | $fd_min–$fd_max, flat: $(verdict "$fd_flat") |"
echo
echo "wharf on CPU 0, wrk (1 thread, $CONNS connections) and the purge loop on CPU 1; release build; $(date -u +%F)."
