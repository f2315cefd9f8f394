#!/usr/bin/env bash
# Installs the Debian packages Wharf needs, and nothing when they are all there already.
#
#   scripts/install-deps.sh [build] [test] [bench]      (no argument: all three groups)
#
# Idempotent and non-interactive, so CI (root, no stdin) and a developer's machine run the same
# thing. When every package of the requested groups is installed it touches neither apt's lists
# nor the network, which keeps repeated `scripts/test.sh` runs fast.
set -euo pipefail

# The one list of system packages. Swift packages come from Package.swift, not from here.
#
# build: the C libraries behind the system-library targets, found through pkg-config.
#   libssl-dev is deliberately absent: swift-nio-ssl and swift-crypto vendor BoringSSL, and no
#   target links the system OpenSSL.
#   liblcms2-dev (also pulled in by libvips-dev): the C shim reads embedded ICC profiles with it.
#   libsqlite3-dev is for the purge journal (WharfPurge, SQLite; see ARCHITECTURE.md).
BUILD_PKGS=(pkg-config libvips-dev liblcms2-dev libbrotli-dev zlib1g-dev libsqlite3-dev)
# test: real peers and tools the integration tests drive (HTTP/1.1 and TLS, HTTP/2, br check,
#   headless Chromium loading the demo page with its picture/srcset transform URLs), and the real
#   edge caches the purge tests put in front of wharf: Varnish 7 with vmod xkey (varnish-modules)
#   and nginx with the cache_purge module (edge-rules/varnish, edge-rules/nginx); socat forwards
#   purges to them so a test can cut an edge off (refused connections) and bring it back.
#   ffmpeg (with ffprobe; Debian's build links libx264 and libx265): HLSTests make their MP4
#   fixtures with it (scripts/hls-fixtures.sh) and play wharf's HLS output over HTTP through it.
#   python3-m3u8: the `m3u8` package scripts/hls-check.py reads playlists with, from Debian
#   (not PyPI: every test dependency comes from the distribution's registry).
#   python3-h2 drives raw HTTP/2 frames at the server (floods, rapid reset; Tests/.../h2-attacks.py);
#   slowhttptest runs slowloris and slow-read against it (HardeningTests).
TEST_PKGS=(curl nghttp2-client openssl brotli chromium fonts-dejavu-core
           varnish varnish-modules nginx libnginx-mod-http-cache-purge socat
           ffmpeg python3-m3u8 python3-h2 slowhttptest)
# bench: bench/static.sh — the nginx to compare against, the load generator, taskset for pinning
#   and flock against concurrent runs (util-linux),
#   curl for the readiness/size checks, brotli for the precompressed sibling; bench/images.sh
#   also needs python3-venv (pyvips and thumbor from PyPI go into bench/out/venv, not the system);
#   bench/purge.sh uses the test group's edges and the sqlite3 shell for the disk's fsync ceiling;
#   bench/build.sh drives libvips' own vipsthumbnail (libvips-tools) as the stock image tool.
BENCH_PKGS=(nginx wrk util-linux curl brotli python3-venv sqlite3 libvips-tools)

usage() { echo "usage: $0 [build] [test] [bench]" >&2; exit 2; }

groups=("$@")
[[ ${#groups[@]} -gt 0 ]] || groups=(build test bench)
wanted=()
for g in "${groups[@]}"; do
  case $g in
    build) wanted+=("${BUILD_PKGS[@]}") ;;
    test)  wanted+=("${TEST_PKGS[@]}") ;;
    bench) wanted+=("${BENCH_PKGS[@]}") ;;
    *) usage ;;
  esac
done
# A package may sit in several groups; ask apt for each once.
mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u)

missing=()
for p in "${wanted[@]}"; do
  # dpkg-query prints one status per installed architecture; any 'installed' line will do.
  if ! dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: nothing to install; all ${#wanted[@]} packages present (${groups[*]})"
  exit 0
fi

# Root installs directly; anyone else goes through sudo. `env` carries DEBIAN_FRONTEND past
# sudo's environment reset, so no debconf prompt can block a run without a terminal.
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)

log=$(mktemp /tmp/wharf-install-deps.XXXXXX)
cleanup() {
  rm -f "$log"
  # Only remove the policy file if this script created it.
  if [[ ${made_policy:-0} -eq 1 ]]; then "${as_root[@]}" rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

# Installing nginx would otherwise start Debian's system nginx on port 80 (postinst runs
# invoke-rc.d). Nothing here wants that daemon: the benchmark runs its own nginx on a free port.
# policy-rc.d exiting 101 is Debian's documented way to say "don't start services now".
made_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  "${as_root[@]}" sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  made_policy=1
fi

# Output goes to a log so a successful run prints one line; a failure shows why.
if ! { "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "install-deps: apt-get failed installing: ${missing[*]}" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
echo "install-deps: installed ${#missing[@]} package(s): ${missing[*]}"
