#!/usr/bin/env bash
# Attack figures (issue #7): HTTP/2 floods from scripts/h2-attack.py and slowloris / slow read
# from slowhttptest, against a release `wharf serve`, each while a normal HTTP/1.1 client polls
# the same server every 50 ms. Prints a Markdown table: what was sent, what the server answered
# and when, how much work it did, and how the normal client fared. The pass/fail versions of
# these runs are HTTP2FloodTests and SlowClientTests in the suite.
#
#   bench/attacks.sh
#
# Environment: WHARF_BIN=path to use a built binary. The server runs with its defaults except
# `limits.idle_timeout = 5` and `limits.header_read_timeout = 5`, so the timeouts show within the
# run (defaults: 60 s and 10 s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/bench/out/attacks
wharf_bin=${WHARF_BIN:-}
unset WHARF_BIN

source bench/lib.sh
setup_wharf bench test
mkdir -p "$out"
exec 9>"$repo/bench/out/.lock"
flock -n 9 || die "another benchmark is running (lock: bench/out/.lock)"

work=$(mktemp -d /tmp/wharf-attacks.XXXXXX)
chmod 755 "$work"
cleanup() { stop_servers; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/site"
cp -r public/. "$work/site/"
head -c $((8 << 20)) /dev/zero >"$work/site/big.bin"
port=$(free_port) admin=$(free_port)
WHARF_LIMITS_IDLE_TIMEOUT=5 WHARF_LIMITS_HEADER_READ_TIMEOUT=5 WHARF_LOG_ACCESS=off \
  "$wharf_bin" serve --root "$work/site" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" >"$out/wharf.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_up wharf "$pid" "http://127.0.0.1:$port/robots.txt" "$out/wharf.log" 300

echo "| attack | sent | server's answer | after | work done | normal client (requests, failures, slowest) |"
echo "|---|---:|---|---:|---|---|"
h2() { # name count extra-args…
  local name=$1 count=$2
  shift 2
  /usr/bin/python3 scripts/h2-attack.py 127.0.0.1 "$port" "$name" --count "$count" --hold 8 "$@" >"$out/$name.json"
  /usr/bin/python3 - "$out/$name.json" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
answer = f"GOAWAY {o['goaway']}" if o["goaway"] else "none"
if o["resets"]:
    answer += f", {o['resets']} RST_STREAM ({', '.join(f'{k} {v}' for k, v in o['reset_codes'].items())})"
answer += ", closed" if o["closed_by_server"] else ", left open"
after = o["goaway_after"] if o["goaway"] and o["goaway"] != "NO_ERROR" else o["first_reset_after"]
work = f"{o['responses']} responses"
if o["settings_acks"] > 1 or o["ping_acks"]:
    work += f", {o['settings_acks'] + o['ping_acks']} ACKs"
print(f"| {o['attack']} | {o['sent']:,} | {answer} | {after if after is not None else '-'} s | {work} | "
      f"{o['probe_requests']}, {len(o['probe_failures'])}, {o['probe_max_ms']} ms |")
EOF
}
h2 rapid-reset 100000
h2 continuation 100000
h2 settings-flood 100000
h2 ping-flood 100000
h2 empty-data 100000
h2 hpack-bomb 1000
h2 zero-window 100 --big /big.bin

# slowhttptest beside a curl loop standing for the normal client.
slow() { # id label args…
  local name=$1 label=$2
  shift 2
  : >"$work/probe"
  (
    end=$((SECONDS + 14))
    while ((SECONDS < end)); do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 "http://127.0.0.1:$port/robots.txt" >>"$work/probe" || echo "000 5" >>"$work/probe"
      sleep 0.05
    done
  ) &
  local prober=$!
  slowhttptest "$@" -l 15 -p 3 -g -o "$out/$name" >"$out/$name.txt" 2>&1 || true
  wait "$prober"
  local conns closed_all
  conns=$(awk -F, 'NR > 1 && $4 > m { m = $4 } END { print m + 0 }' "$out/$name.csv")
  closed_all=$(grep -q "No open connections left" "$out/$name.txt" && echo "all closed by the server before the end" || echo "still open at the end (slowhttptest's view)")
  awk -v name="$label" -v conns="$conns" -v closed="$closed_all" '
    { n++; if ($1 != "200") f++; if ($2 > m) m = $2 }
    END { printf "| %s | %d connections | %s | - | - | %d, %d, %.0f ms |\n", name, conns, closed, n, f, m * 1000 }' "$work/probe"
}
slow slowloris "slowloris (slowhttptest -H)" -H -c 1000 -r 200 -i 1 -u "http://127.0.0.1:$port/robots.txt"
slow slowread "slow read (slowhttptest -X)" -X -c 500 -r 200 -w 512 -y 1024 -n 5 -z 32 -k 3 -u "http://127.0.0.1:$port/big.bin"
open_fds=$(ls "/proc/$pid/fd" | wc -l)
echo
echo "wharf's open descriptors after the slow clients: $open_fds. Release build, $(date -u +%F)."
