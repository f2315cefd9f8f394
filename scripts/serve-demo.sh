#!/usr/bin/env bash
# The README's first command: install what the build needs, build wharf in release mode and serve
# the demo site in public/ on http://127.0.0.1:8080/ (admin API, health and metrics on :9080).
# Extra arguments go to `wharf serve`, e.g. scripts/serve-demo.sh --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh build
swift build -c release --product wharf
# exec, so Ctrl-C and the service manager's signals reach wharf itself, not this shell.
exec .build/release/wharf serve --root public --listen 127.0.0.1:8080 --admin-listen 127.0.0.1:9080 "$@"
