#!/usr/bin/env bash
# Makes the HLS packaging test fixtures (issue #5) with ffmpeg, small enough that the suite stays
# fast: 320x180 (renditions also 640x360), veryfast/ultrafast presets, low bit rates.
#
#   scripts/hls-fixtures.sh OUTDIR
#
# Idempotent: a fixture that already exists is skipped. Each one is written to a hidden temporary
# name in OUTDIR and renamed into place, so a killed run never leaves a partial file under a
# fixture's name. Prints one summary line on success; on failure, ffmpeg's errors and a non-zero
# exit. Sources are lavfi testsrc2 (video) and sine (audio), both deterministic: no random input,
# so there is no seed to fix.
#
# Fixtures (every file 20 s unless noted; video GOP 2 s closed, no scene-cut keyframes):
#   h264.mp4           H.264 High (B-frames) + AAC-LC 48 kHz stereo, 30 fps, moov at the front
#   h264-moov-end.mp4  the same with moov at the end (no +faststart)
#   h264-2997.mp4      29.97 fps (rate=30000/1001), keyframes forced by time every 2 s
#   h264-nob.mp4       no B-frames (-bf 0: no ctts)
#   h264-gop8.mp4      long GOP: one keyframe every 8 s
#   h264-frag.mp4      fragmented input (moof/traf/tfdt/trun, empty moov)
#   hevc.mp4           HEVC Main (hvc1 sample entry) + AAC-LC, 30 fps, closed GOP (IDR every 2 s)
#   audio.mp4          AAC-LC only, no video
#   truncated.mp4      the first 60% of h264.mp4's bytes (moov complete, mdat cut): a bad input
#   mpeg4.mp4          MPEG-4 Part 2 video + AAC, 4 s: an unsupported codec (415)
#   renditions/        one title in two renditions with the same GOP and audio:
#     360p.mp4         640x360 H.264 High + AAC-LC
#     180p.mp4         320x180 H.264 High + AAC-LC
#     hls.toml         names them (format below)
#
# renditions/hls.toml format (what the packager's parser reads):
#   Optional file in a directory of renditions. An array of tables named `rendition`; each has
#     file = "X.mp4"   required: a file name in the same directory (no slashes)
#     name = "label"   optional: the rendition's label (default: the file name without .mp4)
#   Variants appear in the master playlist in the order of the tables. Without hls.toml the
#   directory's *.mp4 files are the renditions in byte order of their names. Comments start
#   with '#'. No other keys or tables.
#   Here the order is deliberately not alphabetical (360p before 180p), so a test can tell
#   whether the file's order is followed.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
command -v ffmpeg >/dev/null || { echo "hls-fixtures: ffmpeg not found (scripts/install-deps.sh test installs it)" >&2; exit 1; }
mkdir -p "$out/renditions"
# Temporaries of an earlier run that was killed (trap cannot run on SIGKILL).
find "$out" -maxdepth 2 -name '.*.partial.*' -mmin +10 -delete 2>/dev/null || true

tmp=""
trap '[[ -n $tmp ]] && rm -f "$tmp"' EXIT
made=0
total=0

# fixture NAME ARGS...: runs `ffmpeg <inputs and codec ARGS> -f mp4 TEMP` unless OUTDIR/NAME exists.
fixture() {
  local name=$1; shift
  total=$((total + 1))
  [[ -s $out/$name ]] && return 0
  tmp="$out/$(dirname "$name")/.$(basename "$name").partial.$$"
  ffmpeg -nostdin -hide_banner -v error -y "$@" -f mp4 "$tmp"
  mv -f "$tmp" "$out/$name"
  tmp=""
  made=$((made + 1))
}

dur=20
# Inputs: video test pattern at SIZE and RATE, and a 1 kHz tone at 48 kHz.
src() { echo "-f lavfi -i testsrc2=size=$1:rate=$2 -f lavfi -i sine=frequency=1000:sample_rate=48000"; }
# H.264 High with 2 B-frames. veryfast, not ultrafast: ultrafast turns off CABAC, 8x8dct and
# B-frames, and x264 then signals Constrained Baseline whatever -profile:v says.
h264() { echo "-map 0:v -map 1:a -t $dur -c:v libx264 -profile:v high -pix_fmt yuv420p -preset veryfast -crf 30 -bf 2 -sc_threshold 0"; }
aac="-c:a aac -b:a 64k -ac 2 -ar 48000"
gop2="-g 60 -keyint_min 60"

# shellcheck disable=SC2046  # word splitting of the option strings is intended
fixture h264.mp4          $(src 320x180 30) $(h264) $gop2 $aac -movflags +faststart
fixture h264-moov-end.mp4 $(src 320x180 30) $(h264) $gop2 $aac
fixture h264-2997.mp4     $(src 320x180 30000/1001) $(h264) -g 300 -keyint_min 1 -forced-idr 1 \
                       -force_key_frames 'expr:gte(t,n_forced*2)' $aac -movflags +faststart
fixture h264-nob.mp4      $(src 320x180 30) $(h264) -bf 0 $gop2 $aac -movflags +faststart
fixture h264-gop8.mp4     $(src 320x180 30) $(h264) -g 240 -keyint_min 240 $aac -movflags +faststart
fixture h264-frag.mp4     $(src 320x180 30) $(h264) $gop2 $aac -movflags +frag_keyframe+empty_moov+default_base_moof
# x265 logs through its own logger (log-level), and defaults to open GOPs (CRA, not IDR): closed here.
fixture hevc.mp4          $(src 320x180 30) -map 0:v -map 1:a -t $dur -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
                       -x265-params log-level=error:keyint=60:min-keyint=60:scenecut=0:open-gop=0:crf=30 \
                       -tag:v hvc1 $aac -movflags +faststart
fixture audio.mp4         -f lavfi -i sine=frequency=1000:sample_rate=48000 -t $dur $aac -movflags +faststart
fixture mpeg4.mp4         $(src 320x180 30) -map 0:v -map 1:a -t 4 -c:v mpeg4 -q:v 8 -g 60 $aac -movflags +faststart
fixture renditions/360p.mp4 $(src 640x360 30) $(h264) $gop2 $aac -movflags +faststart
fixture renditions/180p.mp4 $(src 320x180 30) $(h264) $gop2 $aac -movflags +faststart

total=$((total + 1))
if [[ ! -s $out/truncated.mp4 ]]; then
  size=$(stat -c %s "$out/h264.mp4")
  tmp="$out/.truncated.mp4.partial.$$"
  head -c $((size * 6 / 10)) "$out/h264.mp4" >"$tmp"
  mv -f "$tmp" "$out/truncated.mp4"
  tmp=""
  made=$((made + 1))
fi

total=$((total + 1))
if [[ ! -s $out/renditions/hls.toml ]]; then
  tmp="$out/renditions/.hls.toml.partial.$$"
  cat >"$tmp" <<'EOF'
# Renditions of one title, in master-playlist order (see scripts/hls-fixtures.sh).
[[rendition]]
file = "360p.mp4"
name = "360p"

[[rendition]]
file = "180p.mp4"
name = "180p"
EOF
  mv -f "$tmp" "$out/renditions/hls.toml"
  tmp=""
  made=$((made + 1))
fi

echo "hls-fixtures: $total fixtures in $out ($made made)"
