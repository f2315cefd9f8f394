#!/usr/bin/env bash
# `wharf build` on a generated 10,000-file site, next to the same work done by the stock tools
# (`brotli -q 11`, `gzip -9`, libvips' `vipsthumbnail` for the AVIF and WebP variants) driven by
# `xargs -P` on the same cores; then an unchanged rebuild and a rebuild after touching one
# stylesheet. See bench/README.md.
#
#   bench/build.sh
#
# Environment:
#   FILES=10000      files in the generated tree (about 3 % photos, each distinct, the rest text)
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

setup_wharf bench
command -v brotli >/dev/null || die "brotli not found (scripts/install-deps.sh bench installs it)"
command -v vipsthumbnail >/dev/null || die "vipsthumbnail not found (scripts/install-deps.sh bench installs libvips-tools)"

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
# Every photo distinct (a real site's are): the i-th copy of a fixture is resized to a width a few
# pixels narrower than the last one, so no two share bytes and no build cache can dedupe them.
import subprocess
widths = {p: int(subprocess.check_output(["vipsheader", "-f", "width", os.path.join(photos, p)])) for p in pics}
for i in range(n_photos):
    d = os.path.join(root, "img/%02d" % (i % 10))
    os.makedirs(d, exist_ok=True)
    src = pics[i % len(pics)]
    ext = os.path.splitext(src)[1]
    out = os.path.join(d, "p%04d%s" % (i, ext)) + ("[Q=90,strip]" if ext == ".jpg" else "[strip]")
    subprocess.check_call(["vipsthumbnail", os.path.join(photos, src), "--size", "%dx" % (widths[src] - i // len(pics)), "-o", out])
os.makedirs(root, exist_ok=True)
with open(os.path.join(root, "index.html"), "w") as f:
    f.write('<!doctype html><link rel="stylesheet" href="css/00/f00000.css"><script src="js/01/f00001.js"></script>\n')
EOF
bytes=$(du -sb "$work/site" | cut -f1)

busy=$(cpu_busy_percent)
((busy <= 10)) || log "warning: the CPUs were ${busy}% busy before starting; other work shares these cores"

# --- stock tools: brotli -q 11 and gzip -9 on every compressible file, vipsthumbnail per image ---
# The variants wharf build makes by default: widths 320, 640, 960, 1280 and 1920 that the photo can
# fill, plus its own width when a wider one was skipped; AVIF (Q 50, AV1, effort 2) and WebP (Q 80,
# effort 4), metadata stripped: the server's [images] defaults. Each photo's width is read before
# the clock starts, and vipsthumbnail gets many photos per run (one run per width and format), so
# the stock side pays no per-image process start.
log "stock tools (brotli -q 11 -w 24, gzip -9, vipsthumbnail), -P $JOBS"
cp -r "$work/site" "$work/stock"
: >"$work/thumbs"
while IFS= read -r -d '' photo; do
  w=$(vipsheader -f width "$photo")
  widths=()
  for t in 320 640 960 1280 1920; do ((t <= w)) && widths+=("$t"); done
  for t in 320 640 960 1280 1920; do
    if ((t > w)); then [[ " ${widths[*]} " == *" $w "* ]] || widths+=("$w"); break; fi
  done
  for t in "${widths[@]}"; do echo "$t $photo" >>"$work/thumbs"; done
done < <(find "$work/stock" -type f \( -name '*.jpg' -o -name '*.png' \) -print0)
variants=$(($(wc -l <"$work/thumbs") * 2))
sync   # every run starts with no writeback of the previous one pending
t0=$(now_ms)
find "$work/stock" -type f \( -name '*.css' -o -name '*.js' -o -name '*.svg' -o -name '*.json' -o -name '*.html' \) -size +255c -print0 \
  | xargs -0 -P "$JOBS" -n 64 sh -c 'for f; do brotli -q 11 -w 24 -k -f "$f"; gzip -9 -k -n -f "$f"; done' sh
text_ms=$(($(now_ms) - t0))
t1=$(now_ms)
for t in $(cut -d' ' -f1 "$work/thumbs" | sort -un); do
  for fmt in 'avif[Q=50,compression=av1,effort=2,strip]' 'webp[Q=80,effort=4,strip]'; do
    awk -v t="$t" '$1 == t { print $2 }' "$work/thumbs" | tr '\n' '\0' \
      | xargs -0 -P "$JOBS" -n 8 vipsthumbnail --size "${t}x" -o "%s-${t}w.$fmt"
  done
done
images_ms=$(($(now_ms) - t1))
stock_ms=$(($(now_ms) - t0))

# --- wharf build: cold (empty cache), unchanged, one stylesheet touched -------------------------
log "wharf build, cold"
sync
t0=$(now_ms)
# Run under python for the peak resident memory of the build (ru_maxrss of the child).
/usr/bin/python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=open(sys.argv[1] + ".rss", "w"))
sys.exit(r.returncode)' "$out/cold.json" "$wharf_bin" build "$work/site" --out "$work/dist" --cache-dir "$work/cache" --jobs "$JOBS" --json
cold_ms=$(($(now_ms) - t0))
cold_rss=$(cat "$out/cold.json.rss")
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
  echo "| cold build, $FILES files ($((bytes / 1048576)) MiB), $JOBS jobs | $(awk -v m="$cold_ms" 'BEGIN{printf "%.1f", m/1000}') s | $(awk -v m="$stock_ms" 'BEGIN{printf "%.1f", m/1000}') s: text $(awk -v m="$text_ms" 'BEGIN{printf "%.1f", m/1000}') s (\`brotli -q 11\` + \`gzip -9\`) + $variants image variants $(awk -v m="$images_ms" 'BEGIN{printf "%.1f", m/1000}') s (\`vipsthumbnail\`), \`xargs -P $JOBS\` | $(ratio "$cold_ms" "$stock_ms") |"
  echo "| peak memory of the cold build | $cold_rss MiB | | |"
  echo "| rebuild, nothing changed | $(awk -v m="$unchanged_ms" 'BEGIN{printf "%.2f", m/1000}') s ($(field "$out/unchanged.json" 'compressions["run"]') compressions) | | |"
  echo "| rebuild, one stylesheet changed | $(awk -v m="$touched_ms" 'BEGIN{printf "%.2f", m/1000}') s ($(field "$out/touched.json" 'compressions["run"]') compressions) | | |"
  echo
  echo "Cold build: $(field "$out/cold.json" 'fingerprinted') files fingerprinted, $(field "$out/cold.json" 'br["files"]') .br and $(field "$out/cold.json" 'gzip["files"]') .gz kept, $(field "$out/cold.json" 'images["variants"]') image variants. Unchanged rebuild: $(field "$out/unchanged.json" 'read') files read, $(field "$out/unchanged.json" 'images["rendered"]') variants rendered."
} | tee "$out/summary.md"
