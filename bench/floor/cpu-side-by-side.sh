#!/usr/bin/env bash
# CPU time per response of several servers loaded at the same time: one wrk per server, all started
# together for the same seconds, each server's user and system CPU read from /proc/PID/stat around
# the run. Run one after another, servers on a shared VM see different neighbours (rates and even
# CPU per response move by 10-25 % between runs); loaded together they see the same ones, so their
# difference is measured, not the machine's drift. Repeat it a few times and compare row by row.
#
#   bench/floor/cpu-side-by-side.sh SECONDS PATH ACCEPT-ENCODING NAME:PID:PORT...
#
# Pin the servers to CPU 0 (taskset -c 0) first; every wrk runs on CPU 1 with 50 connections. With
# all of them on one CPU the rates are a share of it each, not a server's capacity: read the CPU
# per response. Prints one line: per server, user+system µs per response, user alone, responses.
set -euo pipefail
[[ $# -ge 4 ]] || { echo "usage: $0 SECONDS PATH ACCEPT-ENCODING NAME:PID:PORT..." >&2; exit 2; }
dur=$1 path=$2 ae=$3
shift 3
tick=$(getconf CLK_TCK)
out=$(mktemp -d /tmp/cpu-side-by-side.XXXXXX)
trap 'rm -rf "$out"' EXIT
names=() pids=() ports=() u0=() s0=()
for spec in "$@"; do
  IFS=: read -r name pid port <<<"$spec"
  [[ -r /proc/$pid/stat ]] || { echo "no process $pid ($name)" >&2; exit 2; }
  names+=("$name") pids+=("$pid") ports+=("$port")
done
cpu() { awk '{print $14, $15}' "/proc/$1/stat"; }   # utime, stime in clock ticks
for i in "${!names[@]}"; do read -r u s < <(cpu "${pids[$i]}"); u0+=("$u") s0+=("$s"); done
for i in "${!names[@]}"; do
  taskset -c 1 wrk -t1 -c50 -d"${dur}s" -H "Accept-Encoding: $ae" "http://127.0.0.1:${ports[$i]}$path" >"$out/$i.txt" &
done
wait
line=""
for i in "${!names[@]}"; do
  read -r u s < <(cpu "${pids[$i]}")
  reqs=$(awk '/requests in/ {print $1}' "$out/$i.txt")
  line+=$(awk -v n="${names[$i]}" -v r="$reqs" -v du="$((u - u0[i]))" -v ds="$((s - s0[i]))" -v t="$tick" 'BEGIN {
    printf "%s %.2f us (user %.2f) %d responses | ", n, (du + ds) * 1e6 / t / r, du * 1e6 / t / r, r }')
done
echo "${line% | }"
