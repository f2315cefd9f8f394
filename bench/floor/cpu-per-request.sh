#!/usr/bin/env bash
# CPU time a server spends per response under wrk, read from /proc/PID/stat around one run:
# the figure behind the "where the time goes" table in the README. Unlike req/s it does not move
# when the machine's other tenants slow both CPUs (it is noisy in other ways: clock ticks).
#
#   bench/floor/cpu-per-request.sh NAME PID PORT PATH ACCEPT-ENCODING [SECONDS]
#
# Pin the server to CPU 0 first (taskset -c 0); wrk runs on CPU 1 with 50 connections, as in
# bench/static.sh. Prints wrk's rate and latency percentiles and user/system µs per response.
set -euo pipefail
[[ $# -ge 5 ]] || { echo "usage: $0 NAME PID PORT PATH ACCEPT-ENCODING [SECONDS]" >&2; exit 2; }
name=$1 pid=$2 port=$3 path=$4 ae=$5 dur=${6:-8}
[[ -r /proc/$pid/stat ]] || { echo "no process $pid" >&2; exit 2; }
tick=$(getconf CLK_TCK)
lua=$(mktemp /tmp/cpu-per-request.XXXXXX.lua)
trap 'rm -f "$lua"' EXIT
cat >"$lua" <<'LUA'
done = function(summary, latency, requests)
  local s = string.format("%d requests, %.0f req/s |", summary.requests, summary.requests / (summary.duration / 1e6))
  for _, p in ipairs({50, 90, 99, 99.9}) do s = s .. string.format(" p%s=%dus", p, latency:percentile(p)) end
  io.write(s .. "\n")
end
LUA
cpu() { awk '{print $14, $15}' "/proc/$pid/stat"; }   # utime, stime in clock ticks
taskset -c 1 wrk -t1 -c50 -d2s -H "Accept-Encoding: $ae" "http://127.0.0.1:$port$path" >/dev/null   # warm-up
read -r u0 s0 < <(cpu)
out=$(taskset -c 1 wrk -t1 -c50 -d"${dur}s" -s "$lua" -H "Accept-Encoding: $ae" "http://127.0.0.1:$port$path" | tail -1)
read -r u1 s1 < <(cpu)
reqs=${out%% requests*}
awk -v n="$name" -v o="$out" -v r="$reqs" -v du="$((u1 - u0))" -v ds="$((s1 - s0))" -v t="$tick" -v d="$dur" 'BEGIN {
  printf "%s: %s | per response: user %.2f us, system %.2f us; CPU busy %.0f%%\n", n, o, du * 1e6 / t / r, ds * 1e6 / t / r, (du + ds) * 100 / t / d }'
