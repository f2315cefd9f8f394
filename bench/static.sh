#!/usr/bin/env bash
# Side-by-side static-file benchmark of Debian's nginx and `wharf serve`, in one run, under the
# same conditions: each server alone on CPU 0 with one worker / one event loop, wrk alone on CPU 1,
# 50 keep-alive connections. See bench/README.md.
#
#   bench/static.sh
#
# Environment:
#   DURATION=10            seconds of each measured wrk run (after a 2 s warm-up)
#   ROUNDS=3               alternating runs per server and file; medians are reported
#   FILES="small.css"      measure only these of small.css, medium.js, large.bin
#   WHARF_BIN=path         use this wharf binary instead of building .build/release/wharf
#   SERVERS="nginx wharf"  which servers to measure; SERVERS=nginx measures nginx alone
#
# Prints a Markdown table on stdout (progress goes to stderr) and keeps the raw wrk outputs, the
# table and the servers' logs in bench/out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/bench/out

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=2
# wharf treats every WHARF_* variable in its environment as a setting and rejects unknown ones,
# so this script's own WHARF_BIN must not reach it.
wharf_bin=${WHARF_BIN:-}
unset WHARF_BIN
SERVERS=${SERVERS:-nginx wharf}
read -r -a FILES <<<"${FILES:-small.css medium.js large.bin}"
for f in "${FILES[@]}"; do
  case $f in small.css|medium.js|large.bin) ;; *) echo "bench: error: FILES may name small.css, medium.js, large.bin" >&2; exit 1 ;; esac
done
# The Accept-Encoding each file is fetched with. small.css has .gz/.br siblings, so gzip measures
# the precompressed path of both servers (nginx: gzip_static). The other two are fetched as
# identity: nginx never compresses them here (gzip off), and if wharf compressed them on the fly
# the two servers would be sending different bytes and the numbers would not compare.
declare -A ENCODING=([small.css]=gzip [medium.js]=identity [large.bin]=identity)

# log, die, free_port, wait_up, stop_servers, cpu_busy_percent
source bench/lib.sh

[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a whole number of seconds, got '$DURATION'"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a whole number, got '$ROUNDS'"
run_nginx=0 run_wharf=0
for s in $SERVERS; do
  case $s in
    nginx) run_nginx=1 ;;
    wharf) run_wharf=1 ;;
    *) die "SERVERS may name nginx and wharf, got '$s'" ;;
  esac
done
[[ $run_nginx -eq 1 || $run_wharf -eq 1 ]] || die "SERVERS names no server"

# --- prerequisites ------------------------------------------------------------------------------
groups=(bench)
if [[ $run_wharf -eq 1 && -z $wharf_bin ]]; then groups+=(build); fi
bash scripts/install-deps.sh "${groups[@]}"

# The servers get CPU 0 and wrk gets CPU 1, so neither steals cycles from the other; on fewer than
# two usable CPUs the numbers would measure the scheduler instead.
if ! taskset -c 0 true 2>/dev/null || ! taskset -c 1 true 2>/dev/null; then
  die "needs CPUs 0 and 1 (servers on 0, wrk on 1); this process may use: $(taskset -pc $$ | sed 's/.*: //')"
fi

NGINX=$(command -v nginx || echo /usr/sbin/nginx)   # /usr/sbin is not on every user's PATH
[[ -x $NGINX ]] || die "nginx not found after install-deps.sh"

if [[ $run_wharf -eq 1 ]]; then
  if [[ -z $wharf_bin ]]; then
    log "building wharf (release)"
    swift build -c release --product wharf >&2
    wharf_bin=$(swift build -c release --show-bin-path)/wharf
  fi
  [[ -x $wharf_bin ]] || die "no wharf binary at '$wharf_bin'"
fi

mkdir -p "$out"
# Two runs at once would share both cores and bench/out/ and spoil each other's numbers.
exec 9>"$out/.lock"
flock -n 9 || die "another bench/static.sh is running (lock: $out/.lock)"
work=$(mktemp -d /tmp/wharf-bench.XXXXXX)
# nginx's worker runs as 'nobody' when started as root and must be able to read the docroot.
chmod 755 "$work"
docroot=$work/docroot
mkdir -p "$docroot" "$work/nginx-tmp"

cleanup() { stop_servers; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM   # route signals through the EXIT trap

# --- the docroot --------------------------------------------------------------------------------
# Fixed contents (only large.bin is random), so runs compare with each other.

# Pads a file to exactly $2 bytes with a trailing comment, keeping it valid CSS/JS.
pad_with_comment() {
  local file=$1 target=$2 size fill
  size=$(stat -c %s "$file")
  fill=$((target - size - 9))   # 9 = "/* pad", "*/", "\n"
  (( fill >= 0 )) || die "$file is already $size bytes, over $target"
  printf '/* pad%*s*/\n' "$fill" '' >>"$file"
  [[ $(stat -c %s "$file") -eq $target ]] || die "$file is not $target bytes"
}

cat >"$docroot/small.css" <<'CSS'
/* components/card.css */
:root{--fg:#16232e;--muted:#51606d;--bg:#fbf8f1;--line:#e3ddd0;--accent:#1b7fbf;--radius:12px}
.card{display:flex;flex-direction:column;gap:.5rem;padding:1.1rem 1.25rem;border:1px solid var(--line);border-radius:var(--radius);background:#fff;color:var(--fg)}
.card__title{margin:0;font-size:1.05rem;font-weight:600;line-height:1.3}
.card__body{margin:0;color:var(--muted);font-size:.95rem}
.card__link{color:var(--accent);text-decoration:none;text-underline-offset:.15em}
.card__link:hover{text-decoration:underline}
.card--featured{border-color:var(--accent);box-shadow:0 6px 24px rgb(11 57 84/.12)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;background:#f4d35e;color:#0b3954;font-size:.75rem;font-weight:700}
@media (prefers-color-scheme:dark){:root{--fg:#e8edf1;--muted:#a3b1bd;--bg:#0e1a23;--line:#243845}.card{background:#14242f}}
CSS
pad_with_comment "$docroot/small.css" 1024
gzip -9 -n -k "$docroot/small.css"
brotli -q 11 -k "$docroot/small.css"

# 200 KiB of bundle-like JS: many small, distinct functions, as a minifier-free build would emit.
awk -v target=$((200 * 1024 - 64)) 'BEGIN {
  split("fetch parse render update validate format resolve schedule", verb, " ")
  split("Asset Manifest Route Variant Header Policy Segment Thumbnail", noun, " ")
  s = "\"use strict\";\n// bundle: app + vendor chunks\n"; printf "%s", s; n = length(s)
  for (i = 0; n < target - 450; i++) {
    name = verb[i % 8 + 1] noun[int(i / 8) % 8 + 1] i
    s = sprintf("function %s(input, options = {}) {\n" \
      "  const limit = options.limit ?? %d;\n" \
      "  const seen = new Map();\n" \
      "  for (const [key, value] of Object.entries(input || {})) {\n" \
      "    if (seen.size >= limit) break;\n" \
      "    seen.set(key.toLowerCase(), typeof value === \"string\" ? value.trim() : value);\n" \
      "  }\n" \
      "  return { id: \"%s-%04x\", count: seen.size, entries: [...seen] };\n" \
      "}\n\n", name, (i * 37) % 1000 + 16, name, (i * 2654435761) % 65536)
    printf "%s", s; n += length(s)
  }
  printf "globalThis.bundleRegistry = Object.freeze({ size: %d });\n", i
}' >"$docroot/medium.js"
pad_with_comment "$docroot/medium.js" $((200 * 1024))

head -c $((5 * 1024 * 1024)) /dev/urandom >"$docroot/large.bin"
chmod 644 "$docroot"/*

# --- servers ------------------------------------------------------------------------------------
declare -A BASE=() SERVING_PID=()
if [[ $run_nginx -eq 1 ]]; then
  nginx_port=$(free_port)
  sed -e "s|@WORK@|$work|g" -e "s|@DOCROOT@|$docroot|g" -e "s|@PORT@|$nginx_port|g" \
    bench/nginx.conf.template >"$work/nginx.conf"
  : >"$out/nginx-error.log"
  # -e: without it nginx first opens its compiled-in /var/log/nginx/error.log.
  "$NGINX" -t -q -p "$work/" -c "$work/nginx.conf" -e "$out/nginx-error.log" \
    || die "generated nginx.conf is invalid (see $out/nginx-error.log)"
  taskset -c 0 "$NGINX" -p "$work/" -c "$work/nginx.conf" -e "$out/nginx-error.log" \
    >"$out/nginx-console.log" 2>&1 &
  pids+=("$!")
  BASE[nginx]=http://127.0.0.1:$nginx_port
  wait_up nginx "$!" "${BASE[nginx]}/small.css" "$out/nginx-error.log" 50
  # The worker does the serving (the master only waits): its CPU time is nginx's.
  SERVING_PID[nginx]=$(pgrep -P "$!" | head -1 || true)
  [[ -n ${SERVING_PID[nginx]} ]] || die "no nginx worker process under $!"
  log "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||') up at ${BASE[nginx]} (CPU 0)"
fi

if [[ $run_wharf -eq 1 ]]; then
  wharf_port=$(free_port)
  admin_port=$(free_port)
  # Started from the temp dir so that a wharf.toml in the repository cannot change the setup.
  (
    cd "$work"
    WHARF_EVENT_LOOP_THREADS=1 WHARF_LOG_ACCESS=off exec \
      taskset -c 0 "$wharf_bin" serve --root "$docroot" \
        --listen "127.0.0.1:$wharf_port" --admin-listen "127.0.0.1:$admin_port"
  ) >"$out/wharf.log" 2>&1 &
  pids+=("$!")
  BASE[wharf]=http://127.0.0.1:$wharf_port
  wait_up "wharf ($wharf_bin)" "$!" "${BASE[wharf]}/small.css" "$out/wharf.log" 150
  SERVING_PID[wharf]=$!
  log "wharf up at ${BASE[wharf]} (CPU 0, 1 event loop)"
fi

measured=()
[[ $run_nginx -eq 1 ]] && measured+=(nginx)
[[ $run_wharf -eq 1 ]] && measured+=(wharf)

busy=$(cpu_busy_percent)
if ((busy > 10)); then
  log "warning: the CPUs were ${busy}% busy before starting; other work shares these cores"
fi

# --- the same bytes from both, or no comparison -------------------------------------------------
# Prints "STATUS len=CONTENT-LENGTH enc=CONTENT-ENCODING body=BYTES sha=SHA256-PREFIX" of the raw,
# undecoded body, so two servers compare by one string.
describe() {
  local url=$1 ae=$2 meta sum
  meta=$(curl -sS -o "$work/probe.body" -H "Accept-Encoding: $ae" \
    -w '%{http_code} len=%header{content-length} enc=%header{content-encoding}' "$url") \
    || die "curl failed on $url"
  sum=$(sha256sum "$work/probe.body" | cut -c1-16)
  echo "$meta body=$(stat -c %s "$work/probe.body") sha=$sum"
}

# Header block sizes, for the record: more header bytes per response cost throughput.
for s in "${measured[@]}"; do
  hb=$(curl -sS -o /dev/null -D - -H "Accept-Encoding: gzip" "${BASE[$s]}/small.css" | wc -c)
  log "$s: response header block for /small.css is $hb bytes"
done

for f in "${FILES[@]}"; do
  ae=${ENCODING[$f]}
  first=""
  for s in "${measured[@]}"; do
    d=$(describe "${BASE[$s]}/$f" "$ae")
    log "$s /$f (Accept-Encoding: $ae): $d"
    [[ $d == 200\ * ]] || die "$s answered /$f with ${d%% *}, not 200"
    # Content-Length must be present (no chunked answer) and match the body received.
    len=${d#*len=}; len=${len%% *}; body=${d#*body=}; body=${body%% *}
    [[ $len == "$body" ]] || die "$s: Content-Length '$len' but $body body bytes for /$f"
    if [[ -z $first ]]; then first=$d
    elif [[ $d != "$first" ]]; then
      die "nginx and wharf differ on /$f with Accept-Encoding: $ae, comparing them would be meaningless:
  nginx: $first
  wharf: $d"
    fi
  done
done

# --- load ---------------------------------------------------------------------------------------
wrk_run() {   # url accept-encoding seconds [--latency]
  taskset -c 1 wrk -t1 -c50 -d"$3s" "${@:4}" -H "Accept-Encoding: $2" "$1"
}

declare -A RPS=() P99=() NOTE=() ALL=() CPU=()
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # user + system, in clock ticks
tick=$(getconf CLK_TCK)
# Loopback numbers on a shared 2-core machine move by ±10% from one run to the next, so each
# server is measured ROUNDS times, alternating with the other, and the medians are reported: of
# the rates and, separately, of the p99s (the p99 of the run with the median rate would be as
# noisy as a single run).
median_of() {   # column number; prints the median of that column of "rps p99" lines
  awk -v c="$1" '{ print $c }' | sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}
to_ms() {   # wrk latency (e.g. 608.00us, 1.17ms, 1.02s) in milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
for f in "${FILES[@]}"; do
  ae=${ENCODING[$f]}
  for ((round = 1; round <= ROUNDS; round++)); do
    for s in "${measured[@]}"; do
      url=${BASE[$s]}/$f
      raw=$out/$s-$f-$round.txt
      log "$s /$f: round $round/$ROUNDS, ${WARMUP}s warm-up, ${DURATION}s measured"
      wrk_run "$url" "$ae" "$WARMUP" >/dev/null
      t0=$(cpu_ticks "${SERVING_PID[$s]}") w0=$(date +%s%N)
      wrk_run "$url" "$ae" "$DURATION" --latency >"$raw"
      t1=$(cpu_ticks "${SERVING_PID[$s]}") w1=$(date +%s%N)
      rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$raw")
      p99=$(awk '$1 == "99%" { print $2 }' "$raw")
      [[ -n $rps && -n $p99 ]] || die "could not parse wrk output $raw"
      # How busy the server's CPU was: near 100 % it was the bottleneck, below that wrk was, and
      # the closer to 100 % a server runs, the longer its queues and its p99. And its CPU time
      # per response (clock ticks of 10 ms: over 10 s, ±0.1 %).
      # (over the wall time the CPU time was read across: wrk runs a little past DURATION).
      reqs=$(awk '/requests in/ { print $1 }' "$raw")
      busy_pct=$(awk -v d="$((t1 - t0))" -v t="$tick" -v ns="$((w1 - w0))" 'BEGIN { printf "%.0f", 100 * d / t / (ns / 1e9) }')
      us_per=$(awk -v d="$((t1 - t0))" -v t="$tick" -v r="$reqs" 'BEGIN { printf "%.1f", 1e6 * d / t / r }')
      ALL[$s/$f]+="$rps $(to_ms "$p99") $busy_pct $us_per"$'\n'
      # Errors or non-2xx answers make the rate meaningless: mark the cell.
      if grep -qE 'Non-2xx or 3xx responses|Socket errors' "$raw"; then
        NOTE[$s/$f]=" (errors, see $(basename "$raw"))"
        log "warning: $s /$f had errors: $(grep -E 'Non-2xx|Socket errors' "$raw" | tr -s ' ')"
      fi
    done
  done
  for s in "${measured[@]}"; do
    RPS[$s/$f]=$(printf '%s' "${ALL[$s/$f]}" | median_of 1)
    P99[$s/$f]="$(printf '%s' "${ALL[$s/$f]}" | median_of 2)ms"
    CPU[$s/$f]="$(printf '%s' "${ALL[$s/$f]}" | median_of 3) % · $(printf '%s' "${ALL[$s/$f]}" | median_of 4) µs"
    log "$s /$f runs (req/s, p99 ms, CPU %, CPU µs per response): $(printf '%s' "${ALL[$s/$f]}" | tr '\n' ';')"
  done
done

# --- report -------------------------------------------------------------------------------------
cell() { local v=${1:-}; echo "${v:-—}"; }
{
  echo "| file | nginx req/s | wharf req/s | ratio wharf/nginx | nginx p99 | wharf p99 | nginx CPU | wharf CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for f in "${FILES[@]}"; do
    n=${RPS[nginx/$f]:-} w=${RPS[wharf/$f]:-}
    ratio=—
    [[ -n $n && -n $w ]] && ratio=$(awk -v w="$w" -v n="$n" 'BEGIN { printf "%.2f", w / n }')
    printf '| %s (%s) | %s%s | %s%s | %s | %s | %s | %s | %s |\n' "$f" "${ENCODING[$f]}" \
      "$(cell "$n")" "${NOTE[nginx/$f]:-}" "$(cell "$w")" "${NOTE[wharf/$f]:-}" "$ratio" \
      "$(cell "${P99[nginx/$f]:-}")" "$(cell "${P99[wharf/$f]:-}")" "$(cell "${CPU[nginx/$f]:-}")" "$(cell "${CPU[wharf/$f]:-}")"
  done
  echo
  echo "wrk -t1 -c50 -d${DURATION}s --latency on CPU 1; servers on CPU 0, one worker each; medians of $ROUNDS alternating runs; CPU: the serving process's user + system time during the measured run, in % of one CPU and per response; $(nproc) CPUs, ${busy}% busy before start."
} | tee "$out/summary.md"
