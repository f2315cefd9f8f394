#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install the build and test packages,
# build everything including the test targets, then run the whole suite. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh build test

# A stale .br/.gz beside a demo asset would be served in place of the edited file.
bash scripts/precompress-public.sh --check

# Building first keeps compiler output apart from test output. No --parallel: the server tests
# bind ports and run as the default runner schedules them.
swift build --build-tests
# Strict mode turns NIO's "task scheduled on a shut-down event loop" warning into a crash, so a
# shutdown-ordering bug fails the suite instead of scrolling past.
SWIFTNIO_STRICT=1 swift test
# A short libFuzzer run of every fuzz target (issue #7), on the committed corpora, with a fixed
# seed; the suite above already replayed every corpus file (crashes found so far included).
FUZZ_SEED=1 bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
