#!/usr/bin/env bash
# `wharf build` on a generated 10,000-file site, next to the same compression done by the stock
# tools (`brotli -q 11`, `gzip -9`) driven by `xargs -P` on the same cores; then an unchanged
# rebuild and a rebuild after touching one stylesheet. See bench/README.md.
#
#   bench/build.sh
#
# Environment:
#   FILES=10000      files in the generated tree (about 3 % photos, the rest text)
#   JOBS=<cores>     parallelism for both sides
#   WHARF_BIN=path   use this wharf binary instead of building .build/release/wharf
#
# Prints a Markdown table on stdout (progress on stderr); keeps logs in bench/out/build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/bench/out/build

FILES=${FILES:-10000}
JOBS=${JOBS:-$(nproc)}
wharf_bin=${WHARF_BIN:-}
unset WHARF_BIN

source bench/lib.sh
[[ $FILES =~ ^[1-9][0-9]*$ ]] || die "FILES must be a whole number, got '$FILES'"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "JOBS must be a whole number, got '$JOBS'"

groups=(bench)
[[ -z $wharf_bin ]] && groups+=(build)
bash scripts/install-deps.sh "${groups[@]}"
command -v brotli >/dev/null || die "brotli not found (scripts/install-deps.sh bench installs it)"
if [[ -z $wharf_bin ]]; then
  log "building wharf (release)"
  swift build -c release --product wharf >&2
  wharf_bin=$(swift build -c release --show-bin-path)/wharf
fi
[[ -x $wharf_bin ]] || die "no wharf binary at '$wharf_bin'"
wharf_bin=$(cd "$(dirname "$wharf_bin")" && pwd)/$(basename "$wharf_bin")

mkdir -p "$out"
exec 9>"$repo/bench/out/.lock"
flock -n 9 || die "another benchmark is running (lock: bench/out/.lock)"
work=$(mktemp -d /tmp/wharf-bench-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- the site: deterministic text of realistic sizes, and photos from the shared fixtures ---------
log "generating $FILES files"
python3 - "$work/site" "$FILES" "$repo/public/img" <<'EOF'
import os, random, shutil, sys
root, count, photos = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(42)
words = "asset route variant header policy segment thumbnail render update parse fetch format resolve".split()
def text(kind, size):
    out, n = [], 0
    while n < size:
        w1, w2, k = rng.choice(words), rng.choice(words), rng.randrange(1000)
        if kind == "css": line = ".%s-%s-%d{margin:%dpx;color:#%06x;display:flex}\n" % (w1, w2, k, k % 40, rng.randrange(1 << 24))
        elif kind == "js": line = "export function %s%s%d(a,b){return a.%s(b)+%d}\n" % (w1, w2.title(), k, w2, k)
        elif kind == "svg": line = '<path d="M%d %dL%d %d" stroke="#%06x"/>\n' % (k, k % 97, k % 13, k % 71, rng.randrange(1 << 24))
        else: line = '{"%s":"%s","id":%d,"tags":["%s"]},\n' % (w1, w2, k, w2)
        out.append(line); n += len(line)
    body = "".join(out)
    if kind == "svg": return '<svg xmlns="http://www.w3.org/2000/svg">\n' + body + "</svg>\n"
    if kind == "json": return "[\n" + body.rstrip(",\n") + "\n]\n"
    return body
pics = sorted(f for f in os.listdir(photos) if f.endswith((".jpg", ".png")) and not f.endswith((".br", ".gz")))
kinds = [("css", 2000, 20000), ("js", 5000, 50000), ("svg", 1000, 10000), ("json", 1000, 20000)]
n_photos = max(1, count * 3 // 100)
for i in range(count - n_photos):
    kind, lo, hi = kinds[i % 4]
    d = os.path.join(root, "%s/%02d" % (kind, i % 50))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.%s" % (i, kind)), "w") as f: f.write(text(kind, rng.randrange(lo, hi)))
for i in range(n_photos):
    d = os.path.join(root, "img/%02d" % (i % 10))
    os.makedirs(d, exist_ok=True)
    src = pics[i % len(pics)]
    shutil.copyfile(os.path.join(photos, src), os.path.join(d, "p%04d%s" % (i, os.path.splitext(src)[1])))
os.makedirs(root, exist_ok=True)
with open(os.path.join(root, "index.html"), "w") as f:
    f.write('<!doctype html><link rel="stylesheet" href="css/00/f00000.css"><script src="js/01/f00001.js"></script>\n')
EOF
bytes=$(du -sb "$work/site" | cut -f1)

busy=$(cpu_busy_percent)
((busy <= 10)) || log "warning: the CPUs were ${busy}% busy before starting; other work shares these cores"

# --- stock tools: brotli -q 11 and gzip -9 on every compressible file, xargs -P JOBS -------------
log "stock tools (brotli -q 11 -w 24, gzip -9), -P $JOBS"
cp -r "$work/site" "$work/stock"
sync   # every run starts with no writeback of the previous one pending
t0=$(now_ms)
find "$work/stock" -type f \( -name '*.css' -o -name '*.js' -o -name '*.svg' -o -name '*.json' -o -name '*.html' \) -size +255c -print0 \
  | xargs -0 -P "$JOBS" -n 64 sh -c 'for f; do brotli -q 11 -w 24 -k -f "$f"; gzip -9 -k -n -f "$f"; done' sh
stock_ms=$(($(now_ms) - t0))

# --- wharf build: cold (empty cache), unchanged, one stylesheet touched -------------------------
log "wharf build, cold"
sync
t0=$(now_ms)
"$wharf_bin" build "$work/site" --out "$work/dist" --cache-dir "$work/cache" --jobs "$JOBS" --json >"$out/cold.json"
cold_ms=$(($(now_ms) - t0))
log "wharf build, unchanged"
sync
t0=$(now_ms)
"$wharf_bin" build "$work/site" --out "$work/dist" --cache-dir "$work/cache" --jobs "$JOBS" --json >"$out/unchanged.json"
unchanged_ms=$(($(now_ms) - t0))
echo ".touched{color:red}" >>"$work/site/css/00/f00000.css"
log "wharf build, one stylesheet touched"
sync
t0=$(now_ms)
"$wharf_bin" build "$work/site" --out "$work/dist" --cache-dir "$work/cache" --jobs "$JOBS" --json >"$out/touched.json"
touched_ms=$(($(now_ms) - t0))

field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
  echo "| measure | wharf build | stock tools | wharf / stock |"
  echo "|---|---|---|---|"
  echo "| cold build, $FILES files ($((bytes / 1048576)) MiB), $JOBS jobs | $(awk -v m="$cold_ms" 'BEGIN{printf "%.1f", m/1000}') s | $(awk -v m="$stock_ms" 'BEGIN{printf "%.1f", m/1000}') s (\`brotli -q 11\` + \`gzip -9\`, \`xargs -P $JOBS\`) | $(ratio "$cold_ms" "$stock_ms") |"
  echo "| rebuild, nothing changed | $(awk -v m="$unchanged_ms" 'BEGIN{printf "%.2f", m/1000}') s ($(field "$out/unchanged.json" 'compressions["run"]') compressions) | | |"
  echo "| rebuild, one stylesheet changed | $(awk -v m="$touched_ms" 'BEGIN{printf "%.2f", m/1000}') s ($(field "$out/touched.json" 'compressions["run"]') compressions) | | |"
  echo
  echo "Cold build: $(field "$out/cold.json" 'fingerprinted') files fingerprinted, $(field "$out/cold.json" 'br["files"]') .br and $(field "$out/cold.json" 'gzip["files"]') .gz kept."
} | tee "$out/summary.md"
