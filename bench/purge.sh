#!/usr/bin/env bash
# Purge benchmark: how long a deploy waits from `wharf purge` until both edges (a Varnish with
# edge-rules/varnish and an nginx with edge-rules/nginx, in front of one `wharf serve`) serve the
# new bytes, next to a deploy script that purges both edges itself with curl; and how many purges
# a second the API accepts with its journal durable, next to the same SQLite's own ceiling for
# fsync'd single-row transactions on this disk. See bench/README.md.
#
#   bench/purge.sh
#
# Environment:
#   PURGES=100       purges per latency series (p50/p99 over these)
#   DURATION=5       seconds of the accept-rate run
#   CONNECTIONS=8    concurrent API clients in the accept-rate run
#   WHARF_BIN=path   use this wharf binary instead of building .build/release/wharf
#
# Prints a Markdown table on stdout (progress on stderr); keeps the samples, the table and the
# logs in bench/out/purge/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/bench/out/purge

PURGES=${PURGES:-100}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-8}
wharf_bin=${WHARF_BIN:-}
unset WHARF_BIN   # wharf rejects unknown WHARF_* variables

source bench/lib.sh

[[ $PURGES =~ ^[1-9][0-9]*$ ]] || die "PURGES must be a whole number, got '$PURGES'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a whole number of seconds, got '$DURATION'"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a whole number, got '$CONNECTIONS'"

setup_wharf bench test

mkdir -p "$out"
exec 9>"$repo/bench/out/.lock"
flock -n 9 || die "another benchmark is running (lock: bench/out/.lock)"
work=$(mktemp -d /tmp/wharf-bench-purge.XXXXXX)
chmod 755 "$work"
cleanup() {
  bash scripts/edges.sh stop "$work/edges" >/dev/null 2>&1 || true
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the stack ----------------------------------------------------------------------------------
token=bench-purge-token-0123456789
secret=bench-purge-secret-0123456789
origin_port=$(free_port) admin_port=$(free_port) varnish_port=$(free_port) nginx_port=$(free_port)
site=$work/site
mkdir -p "$site/css"
echo '<!doctype html><title>bench</title>' >"$site/index.html"   # Varnish's probe asks for /

# The stylesheet a deploy changes: ~4 KiB, with a version line that each purge bumps.
write_css() {
  { echo "/* version $1 */"; for _ in {1..60}; do echo ".card{padding:1rem;border:1px solid #e3ddd0}"; done; } >"$site/css/app.css.tmp"
  mv "$site/css/app.css.tmp" "$site/css/app.css"
}
write_css 0

cat >"$work/wharf.toml" <<EOF
[tags]
headers = ["xkey"]
[cache]
x_accel_expires = true
# The origin notices edits itself within 0.2 s (what the curl series relies on); a wharf purge
# makes it re-hash the purged files at once.
revalidate_interval = 0.2
[purge]
tokens = ["$token"]
state_dir = "$work/state"
[[purge.providers]]
type = "varnish"
endpoints = ["http://127.0.0.1:$varnish_port"]
secret = "$secret"
[[purge.providers]]
type = "nginx"
endpoints = ["http://127.0.0.1:$nginx_port"]
secret = "$secret"
EOF

(
  cd "$work"
  WHARF_LOG_ACCESS=off exec "$wharf_bin" serve --root "$site" --config wharf.toml \
    --listen "127.0.0.1:$origin_port" --admin-listen "127.0.0.1:$admin_port"
) >"$out/wharf.log" 2>&1 &
pids+=("$!")
wait_up wharf "$!" "http://127.0.0.1:$origin_port/css/app.css" "$out/wharf.log" 150
bash scripts/edges.sh start "$work/edges" "$origin_port" "$varnish_port" "$nginx_port" "$secret" >&2
log "origin 127.0.0.1:$origin_port, varnish :$varnish_port, nginx :$nginx_port"

busy=$(cpu_busy_percent)
((busy <= 10)) || log "warning: the CPUs were ${busy}% busy before starting; other work shares these cores"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
fetch() { curl -sS -H 'Accept-Encoding: identity' "http://127.0.0.1:$1/css/app.css"; }
# Caches the current version at both edges (the second request must be a hit).
warm() {
  local port
  for port in "$varnish_port" "$nginx_port"; do
    fetch "$port" >/dev/null
    curl -sS -o /dev/null -H 'Accept-Encoding: identity' -w '%header{x-cache}' "http://127.0.0.1:$port/css/app.css" | grep -qx HIT \
      || die "edge :$port did not cache /css/app.css"
  done
}
# Polls both edges until each serves version $1; fails after 10 s.
wait_fresh() {
  local port deadline=$(($(now_ms) + 10000))
  for port in "$varnish_port" "$nginx_port"; do
    until fetch "$port" | head -1 | grep -qx "/\* version $1 \*/"; do
      (($(now_ms) < deadline)) || die "edge :$port still serves an old version 10 s after purge $1"
      sleep 0.002
    done
  done
}
# p50 and p99 (nearest rank) of the numbers in file $1, as "p50 p99".
percentiles() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.999); i99 = int(NR * 0.99 + 0.999); print v[i50], v[i99] }'
}

# --- latency: wharf purge ------------------------------------------------------------------------
# Each round: both edges hold version n-1; the deploy writes version n and runs
# `wharf purge --tag /css/app.css --wait 60s` (the CLI exits once both edges confirmed), then both
# edges are polled until they serve version n. Timed from starting the CLI.
: >"$out/wharf-fresh.ms"; : >"$out/wharf-confirmed.ms"
version=0
log "latency: $PURGES rounds of wharf purge"
for ((i = 0; i < PURGES; i++)); do
  warm
  version=$((version + 1))
  write_css "$version"
  t0=$(now_ms)
  "$wharf_bin" purge --endpoint "http://127.0.0.1:$admin_port" --token "$token" --tag /css/app.css --wait 60s >/dev/null \
    || die "wharf purge failed in round $i"
  t1=$(now_ms)
  wait_fresh "$version"
  t2=$(now_ms)
  echo $((t1 - t0)) >>"$out/wharf-confirmed.ms"
  echo $((t2 - t0)) >>"$out/wharf-fresh.ms"
done

# --- latency: the purge API called with curl ---------------------------------------------------
# The same rounds through POST /purge?wait=60s with curl: the API and fan-out without the CLI's
# process start (~50 ms for the Swift binary to load here).
: >"$out/api-fresh.ms"
log "latency: $PURGES rounds of curl POST /purge?wait=60s"
for ((i = 0; i < PURGES; i++)); do
  warm
  version=$((version + 1))
  write_css "$version"
  t0=$(now_ms)
  curl -sS -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data '{"tags":["/css/app.css"]}' "http://127.0.0.1:$admin_port/purge?wait=60s"
  wait_fresh "$version"
  echo $(($(now_ms) - t0)) >>"$out/api-fresh.ms"
done

# --- latency: the edges purged directly ---------------------------------------------------------
# What a deploy script without Wharf does: PURGE the URL at Varnish, and at nginx each cache key
# the URL can have (br, gzip, identity), with curl. The origin must already serve the new version
# (it notices edits within revalidate_interval), so this waits for that before starting the clock:
# the floor below any purge system, not a fair race.
: >"$out/direct-fresh.ms"
log "latency: $PURGES rounds of curl PURGE at both edges"
for ((i = 0; i < PURGES; i++)); do
  warm
  version=$((version + 1))
  write_css "$version"
  until fetch "$origin_port" | head -1 | grep -qx "/\* version $version \*/"; do sleep 0.01; done
  t0=$(now_ms)
  curl -sS -o /dev/null -X PURGE -H "X-Wharf-Purge-Secret: $secret" "http://127.0.0.1:$varnish_port/css/app.css"
  for enc in br gzip identity; do
    curl -sS -o /dev/null -X PURGE -H "X-Wharf-Purge-Secret: $secret" "http://127.0.0.1:$nginx_port/.wharf-purge/$enc/-/css/app.css"
  done
  wait_fresh "$version"
  echo $(($(now_ms) - t0)) >>"$out/direct-fresh.ms"
done

read -r wf50 wf99 < <(percentiles "$out/wharf-fresh.ms")
read -r wc50 wc99 < <(percentiles "$out/wharf-confirmed.ms")
read -r df50 df99 < <(percentiles "$out/direct-fresh.ms")
read -r af50 af99 < <(percentiles "$out/api-fresh.ms")

# --- accept rate ----------------------------------------------------------------------------------
# wrk posts purges of distinct tags for DURATION seconds; every 202 is a row committed to the
# journal (SQLite WAL, synchronous=FULL: fsync'd before the answer). The fan-out runs meanwhile.
cat >"$work/post.lua" <<EOF
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/purge",
    { ["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json" },
    '{"tags":["bench.' .. n .. '"]}')
end
EOF
log "accept rate: wrk -c$CONNECTIONS -d${DURATION}s POST /purge"
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$work/post.lua" "http://127.0.0.1:$admin_port" >"$out/wrk-accept.txt"
accepted=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$out/wrk-accept.txt")
if grep -q "Non-2xx" "$out/wrk-accept.txt"; then
  die "some purges were not accepted: $(grep Non-2xx "$out/wrk-accept.txt")"
fi
rows=$(sqlite3 "$work/state/purge.sqlite" "select count(*) from purge")

# The same SQLite's ceiling on this disk: single-row transactions in WAL mode with
# synchronous=FULL, from the sqlite3 shell, one connection.
ceiling_rows=2000
{
  echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT);"
  for ((i = 0; i < ceiling_rows; i++)); do echo "INSERT INTO t(body) VALUES('{\"tags\":[\"bench.$i\"]}');"; done
} >"$work/ceiling.sql"
t0=$(now_ms)
sqlite3 "$work/ceiling.db" <"$work/ceiling.sql" >/dev/null
ceiling=$((ceiling_rows * 1000 / ($(now_ms) - t0 + 1)))

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
  echo "| measure | wharf | reference | wharf / reference |"
  echo "|---|---|---|---|"
  echo "| \`wharf purge\` → new bytes at both edges, p50 | ${wf50} ms | ${df50} ms (curl PURGE at both edges) | $(ratio "$wf50" "$df50") |"
  echo "| \`wharf purge\` → new bytes at both edges, p99 | ${wf99} ms | ${df99} ms (curl PURGE at both edges) | $(ratio "$wf99" "$df99") |"
  echo "| \`curl POST /purge?wait=60s\` → new bytes at both edges, p50 / p99 | ${af50} / ${af99} ms | ${df50} / ${df99} ms (curl PURGE at both edges) | $(ratio "$af50" "$df50") / $(ratio "$af99" "$df99") |"
  echo "| \`wharf purge --wait\` returns (both confirmed), p50 / p99 | ${wc50} / ${wc99} ms | | |"
  echo "| purges accepted per second, durable, $CONNECTIONS clients | ${accepted}/s | ${ceiling}/s (sqlite3, fsync'd single-row transactions) | $(ratio "$accepted" "$ceiling") |"
  echo
  echo "$PURGES purges per latency series; journal rows after the accept run: $rows."
} | tee "$out/summary.md"
