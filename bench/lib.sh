# Helpers shared by the bench scripts (sourced, not run).

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# Servers started by a script; stop_servers ends them (TERM, then KILL after 5 s).
pids=()
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # Give each a graceful 5 s, then make sure nothing outlives the benchmark.
    for _ in {1..50}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
used_ports=()
free_port() {
  local port
  for _ in {1..100}; do
    port=$((20000 + RANDOM % 30000))
    [[ " ${used_ports[*]} " == *" $port "* ]] && continue
    # A refused connection means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      used_ports+=("$port"); echo "$port"; return
    fi
  done
  die "found no free port"
}

# Waits until $url answers, failing early (with the log) if the process is gone.
wait_up() {
  local name=$1 pid=$2 url=$3 logfile=$4 tries=$5 i
  for ((i = 0; i < tries; i++)); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: error: $name exited before answering at $url; last lines of $logfile:" >&2
      tail -n 20 "$logfile" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  echo "bench: error: $name did not answer at $url within $((tries / 10)) s; last lines of $logfile:" >&2
  tail -n 20 "$logfile" >&2 || true
  exit 1
}

# Other work on the two cores skews everything; say so rather than print quietly wrong numbers.
# Measured from /proc/stat over 2 s, as the load average still counts a build that just ended.
cpu_busy_percent() {
  local _cpu user nice system idle iowait irq softirq steal t1 i1 t2 i2
  read -r _cpu user nice system idle iowait irq softirq steal _ </proc/stat
  t1=$((user + nice + system + idle + iowait + irq + softirq + steal)) i1=$((idle + iowait))
  sleep 2
  read -r _cpu user nice system idle iowait irq softirq steal _ </proc/stat
  t2=$((user + nice + system + idle + iowait + irq + softirq + steal)) i2=$((idle + iowait))
  echo $((100 - 100 * (i2 - i1) / (t2 - t1)))
}

# Installs the package groups a script needs (and the build group when it must compile wharf),
# then sets wharf_bin: the $WHARF_BIN the script saved, made absolute, or a fresh release build.
setup_wharf() { # GROUP...
  local groups=("$@")
  [[ -z $wharf_bin ]] && groups+=(build)
  bash scripts/install-deps.sh "${groups[@]}"
  if [[ -z $wharf_bin ]]; then
    log "building wharf (release)"
    swift build -c release --product wharf >&2
    wharf_bin=$(swift build -c release --show-bin-path)/wharf
  fi
  [[ -x $wharf_bin ]] || die "no wharf binary at '$wharf_bin'"
  # Absolute: the servers start in other directories.
  wharf_bin=$(cd "$(dirname "$wharf_bin")" && pwd)/$(basename "$wharf_bin")
}
