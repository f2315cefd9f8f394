#!/usr/bin/env bash
# Makes the Python environment the HLS tests use (scripts/hls-check.py reads playlists with the
# `m3u8` package, globocom/m3u8) and prints its interpreter's path, one line on stdout.
#
#   scripts/python-test-env.sh            → /…/.build/venv-test/bin/python
#
# Idempotent: when .build/venv-test already has the pinned m3u8 it touches nothing and needs no
# network; otherwise it (re)creates the venv with `python3 -m venv` (Debian: the python3-venv
# package, in scripts/install-deps.sh's test group) and installs the pin from PyPI. Concurrent
# runs wait for each other (flock). pip's output goes to a log shown only on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

M3U8_VERSION=6.0.0
venv=$PWD/.build/venv-test
py=$venv/bin/python

have() {
  [[ -x $py ]] && "$py" - "$M3U8_VERSION" >/dev/null 2>&1 <<'EOF'
import sys, importlib.metadata, m3u8
sys.exit(importlib.metadata.version("m3u8") != sys.argv[1])
EOF
}

if have; then echo "$py"; exit 0; fi

mkdir -p .build
exec 9>.build/venv-test.lock
command -v flock >/dev/null && flock 9
# Another run may have finished it while this one waited.
if have; then echo "$py"; exit 0; fi

log=$(mktemp /tmp/wharf-python-test-env.XXXXXX)
trap 'rm -f "$log"' EXIT
fail() {
  echo "python-test-env: $1" >&2
  tail -n 30 "$log" >&2
  exit 1
}

# A venv whose interpreter is gone or broken (python3 upgraded, moved) is made again from scratch.
if [[ ! -x $py ]] || ! "$py" -c 'import sys' >/dev/null 2>&1; then
  python3 -m venv --clear "$venv" >"$log" 2>&1 \
    || fail "python3 -m venv failed (on Debian install python3-venv: scripts/install-deps.sh test)"
fi
"$py" -m pip install --disable-pip-version-check --no-input -q --only-binary :all: "m3u8==$M3U8_VERSION" >"$log" 2>&1 \
  || fail "pip install m3u8==$M3U8_VERSION failed"
have || fail "m3u8 $M3U8_VERSION is not importable after pip install"
echo "python-test-env: installed m3u8 $M3U8_VERSION into $venv" >&2
echo "$py"
