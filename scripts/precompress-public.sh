#!/usr/bin/env bash
# Writes the precompressed siblings (.br, .gz) of the demo site's text assets, or with --check
# verifies that each sibling still decompresses to its source's exact bytes. A sibling left stale
# after an edit would be served instead of the new file, so scripts/test.sh runs --check.
#
#   scripts/precompress-public.sh           rewrite the siblings
#   scripts/precompress-public.sh --check   exit 1 if any sibling is missing or stale
#
# index.html gets no siblings on purpose: the server compresses it on the fly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ASSETS=(public/css/site.css public/js/app.js)

check=0
case ${1:-} in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

stale=0
for f in "${ASSETS[@]}"; do
  if [[ $check -eq 1 ]]; then
    # Compare decompressed bytes, not compressed ones: another brotli/gzip build may encode
    # differently and still be correct.
    if ! [[ -f $f.br ]] || ! brotli -d -c "$f.br" | cmp -s - "$f"; then
      echo "stale or missing: $f.br" >&2; stale=1
    fi
    if ! [[ -f $f.gz ]] || ! gzip -d -c "$f.gz" | cmp -s - "$f"; then
      echo "stale or missing: $f.gz" >&2; stale=1
    fi
  else
    # -n leaves name and mtime out of the gzip header, so equal input gives equal bytes.
    brotli -q 11 -k -f "$f"
    gzip -9 -n -k -f "$f"
  fi
done
if [[ $stale -eq 1 ]]; then
  echo "run scripts/precompress-public.sh to rewrite them" >&2
  exit 1
fi
if [[ $check -eq 1 ]]; then echo "precompressed siblings: up to date (${#ASSETS[@]} assets)"; fi
