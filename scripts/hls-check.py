#!/usr/bin/env python3
"""Independent checks of an HLS presentation served over HTTP (issue #5), as a second reader
beside ffmpeg: playlists are parsed with the `m3u8` package (globocom/m3u8), everything else is
the standard library.

    hls-check.py URL [--duration SECONDS] [--frame SECONDS] [--map-version N] [--timeout S]

URL is a master (multivariant) playlist or a media playlist. Every media playlist it names,
including EXT-X-MEDIA renditions with a URI, is loaded, and every init section (EXT-X-MAP) and
media segment is fetched to measure its size. Run with Debian's python3 and python3-m3u8.

Prints one JSON object on stdout:
    {"ok": bool, "errors": [str], "warnings": [str], "variants": [{...measured numbers...}]}
and exits 0 if and only if ok (2 on a usage error).

Rules checked (RFC 8216 and Apple's HLS authoring spec; numbers in brackets are Apple's items):
  media playlists
    - starts with #EXTM3U; EXT-X-VERSION present and >= what its features need: 3 for a
      non-integer EXTINF, 4 for EXT-X-BYTERANGE, 6 for EXT-X-MAP per RFC 8216 §7, raised to
      --map-version (default 7, the project's design per issue #5) when EXT-X-MAP is used;
      plus m3u8's own version_matching rules where the installed m3u8 has them
    - EXT-X-TARGETDURATION present; every EXTINF rounded to the nearest integer <= it
    - no EXTINF <= 0; at least one segment
    - EXT-X-ENDLIST and EXT-X-PLAYLIST-TYPE:VOD [8.6]
    - EXT-X-INDEPENDENT-SEGMENTS in the master playlist or in the media playlist [9.11/9.12]
    - fMP4: every segment has an EXT-X-MAP [8.20]; an init section starts with `ftyp`, a segment
      with `styp`, `sidx`, `prft`, `emsg` or `moof`
    - with --duration: sum of EXTINF within --frame (default 1/29.97 s) of it [8.1]
    - every segment and init section answers 200 (206 for a byte range) with a non-empty body
  master playlist
    - CODECS on every EXT-X-STREAM-INF [9.1]; RESOLUTION [9.2] and FRAME-RATE [9.15] on those
      whose CODECS name a video codec
    - BANDWIDTH within 10% of the measured peak: not below 0.9x (the RFC requires BANDWIDTH
      >= peak; 10% is Apple's tolerance [1.27]) and not above 1.1x. Measured peak per RFC 8216
      §4.3.4.2: the largest bit rate of any contiguous set of segments whose total EXTINF is
      between 0.5 and 1.5 times the target duration, bit rate = sum of sizes x 8 / sum of EXTINF.
      When a playlist has no such set (shorter than half its target duration) the whole playlist
      is the set. For a variant with an AUDIO group whose renditions have URIs, the largest such
      rendition's peak is added (the "playable combination" of RFC §4.3.4.2 / Apple 9.13).
    - AVERAGE-BANDWIDTH present [9.14] and within 10% of the measured average, total bytes x 8 /
      total EXTINF (plus the AUDIO group's largest average, as for the peak) [1.26]
    - the same EXT-X-TARGETDURATION in every media playlist [8.2, RFC §6.2.4]
    - no PROGRAM-ID with EXT-X-VERSION >= 6 (removed in version 6)
  warning only: measured peak above 200% of the measured average [1.30]

Choice: sizes are those of media segments only; init sections (EXT-X-MAP) are left out of both
peak and average. RFC 8216 defines segment bit rate over Media Segments, an init section is
fetched once per switch rather than per segment, and Shaka Packager and Bento4 leave it out too.
"""

import argparse
import json
import math
import sys
import urllib.error
import urllib.request
from urllib.parse import urljoin

try:
    import m3u8
except ImportError:  # pragma: no cover - reported as a result, not a traceback
    print(json.dumps({"ok": False, "errors": ["python package m3u8 missing: apt-get install python3-m3u8 "
                                              "(scripts/install-deps.sh test) and run this with /usr/bin/python3"],
                      "warnings": [], "variants": []}))
    sys.exit(1)
try:
    # m3u8's own version rules came after 0.8 (Debian 12 ships 0.8.0); the checks below do not
    # depend on them.
    from m3u8 import version_matching
except ImportError:
    version_matching = None

VIDEO_CODEC_PREFIXES = ("avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "av01", "vp09", "vp08", "mp4v")
SEGMENT_FIRST_BOXES = {b"styp", b"sidx", b"prft", b"emsg", b"moof"}

errors = []
warnings = []


def err(msg):
    errors.append(msg)


def fetch(url, timeout, byterange=None):
    """GET url (optionally a (length, offset) byte range); returns (status, body) or (None, None)."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity", "User-Agent": "wharf-hls-check"})
    if byterange is not None:
        length, offset = byterange
        req.add_header("Range", "bytes=%d-%d" % (offset, offset + length - 1))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            if r.headers.get("Content-Encoding", "identity") not in ("identity", ""):
                err("%s: Content-Encoding %s although identity was asked for" % (url, r.headers.get("Content-Encoding")))
            return r.status, body
    except urllib.error.HTTPError as e:
        body = " ".join(e.read()[:300].decode("utf-8", "replace").split())
        err("%s: HTTP %d %s" % (url, e.code, body[:160]))
    except (urllib.error.URLError, OSError) as e:
        err("%s: %s" % (url, e))
    return None, None


def load_playlist(url, timeout):
    status, body = fetch(url, timeout)
    if body is None:
        return None, None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        err("%s: not UTF-8" % url)
        return None, None
    if not text.startswith("#EXTM3U"):
        err("%s: does not start with #EXTM3U" % url)
        return None, text
    try:
        return m3u8.M3U8(text, base_uri=urljoin(url, ".")), text
    except Exception as e:  # m3u8 raises ValueError and friends on malformed attributes
        err("%s: m3u8 cannot parse it: %s" % (url, e))
        return None, text


def parse_byterange(spec, previous_end):
    """'n[@o]' → (n, o); without @o the range starts where the previous one of the same URI ended."""
    if "@" in spec:
        n, o = spec.split("@", 1)
        return int(n), int(o)
    return int(spec), previous_end


def required_version(pl, text, map_version):
    need, why = 1, []
    if any(s.duration is not None and float(s.duration) != int(s.duration) for s in pl.segments):
        need, why = max(need, 3), why + ["non-integer EXTINF (3)"]
    if "#EXT-X-BYTERANGE" in text:
        need, why = max(need, 4), why + ["EXT-X-BYTERANGE (4)"]
    if "#EXT-X-MAP" in text:
        need, why = max(need, 6, map_version), why + ["EXT-X-MAP (6 per RFC 8216, %d in this design)" % map_version]
    return need, why


def peak_rate(durations, sizes, td):
    """RFC 8216 §4.3.4.2 peak segment bit rate, bits/s; (rate, (first, last)) of the window."""
    best, window = None, None
    n = len(durations)
    lo, hi = 0.5 * td, 1.5 * td
    for i in range(n):
        d = b = 0
        for j in range(i, n):
            d += durations[j]
            b += sizes[j]
            if d > hi:
                break
            if d >= lo and d > 0:
                rate = b * 8 / d
                if best is None or rate > best:
                    best, window = rate, (i + 1, j + 1)
    if best is None and n and sum(durations) > 0:
        best, window = sum(sizes) * 8 / sum(durations), (1, n)
    return best, window


def check_media(url, args, independent_in_master, label):
    """Loads and checks one media playlist and its segments; returns its measured numbers."""
    info = {"uri": url, "label": label}
    pl, text = load_playlist(url, args.timeout)
    if pl is None:
        return info
    if pl.is_variant:
        err("%s: expected a media playlist, got a master playlist" % url)
        return info
    where = "%s (%s)" % (url, label)
    td = pl.target_duration
    info.update(version=pl.version, target_duration=td, segments=len(pl.segments),
                playlist_type=pl.playlist_type, endlist=pl.is_endlist,
                independent_segments=bool(pl.is_independent_segments))

    # Version vs features.
    need, why = required_version(pl, text, args.map_version)
    info["version_required"] = need
    if pl.version is None:
        err("%s: no EXT-X-VERSION (features need %d: %s)" % (where, need, ", ".join(why) or "-"))
    elif int(pl.version) < need:
        err("%s: EXT-X-VERSION %s < %d required by %s" % (where, pl.version, need, ", ".join(why)))
    for e in (version_matching.validate([l.strip() for l in text.splitlines()]) if version_matching else []):
        err("%s: m3u8 version rule: %s" % (where, e))

    # Playlist-level tags.
    if td is None:
        err("%s: no EXT-X-TARGETDURATION" % where)
    if not pl.is_endlist:
        err("%s: no EXT-X-ENDLIST" % where)
    if (pl.playlist_type or "").upper() != "VOD":
        err("%s: EXT-X-PLAYLIST-TYPE is %r, not VOD" % (where, pl.playlist_type))
    if not (independent_in_master or pl.is_independent_segments):
        err("%s: EXT-X-INDEPENDENT-SEGMENTS in neither the master nor the media playlist" % where)
    if not pl.segments:
        err("%s: no segments" % where)
        return info

    # Segments: durations, maps, sizes.
    durations, sizes, seen_uris = [], [], set()
    inits = {}
    range_end = {}
    fmp4 = any(s.init_section is not None for s in pl.segments) or any(
        (s.uri or "").split("?")[0].endswith((".m4s", ".mp4", ".cmfv", ".cmfa")) for s in pl.segments)
    for n, s in enumerate(pl.segments, 1):
        d = float(s.duration) if s.duration is not None else 0.0
        durations.append(d)
        if d <= 0:
            err("%s: segment %d (%s) has EXTINF %s <= 0" % (where, n, s.uri, s.duration))
        if td is not None and math.floor(d + 0.5) > td:
            err("%s: segment %d (%s) EXTINF %.6f rounds to %d > TARGETDURATION %d"
                % (where, n, s.uri, d, math.floor(d + 0.5), td))
        if fmp4 and s.init_section is None:
            err("%s: segment %d (%s) has no EXT-X-MAP" % (where, n, s.uri))
        if s.init_section is not None:
            iu = s.init_section.absolute_uri
            key = (iu, s.init_section.byterange)
            if key not in inits:
                br = None
                if s.init_section.byterange:
                    br = parse_byterange(s.init_section.byterange, 0)
                status, body = fetch(iu, args.timeout, br)
                inits[key] = len(body) if body is not None else None
                if body is not None:
                    if not body:
                        err("%s: init section %s is empty" % (where, iu))
                    elif body[4:8] != b"ftyp":
                        err("%s: init section %s starts with box %r, not ftyp" % (where, iu, body[4:8]))
                    if br is not None and status != 206:
                        err("%s: init section %s byte range answered %s, not 206" % (where, iu, status))
        su = s.absolute_uri
        br = None
        if s.byterange:
            br = parse_byterange(s.byterange, range_end.get(su, 0))
            range_end[su] = br[0] + br[1]
        elif su in seen_uris:
            err("%s: segment URI %s appears twice" % (where, s.uri))
        seen_uris.add(su)
        status, body = fetch(su, args.timeout, br)
        if body is None:
            sizes.append(0)
            continue
        if br is not None and status != 206:
            err("%s: segment %s byte range answered %s, not 206" % (where, s.uri, status))
        if not body:
            err("%s: segment %d (%s) is empty" % (where, n, s.uri))
        elif fmp4 and body[4:8] not in SEGMENT_FIRST_BOXES:
            err("%s: segment %d (%s) starts with box %r, not styp/sidx/moof" % (where, n, s.uri, body[4:8]))
        sizes.append(len(body))

    total_d, total_b = sum(durations), sum(sizes)
    peak, window = peak_rate(durations, sizes, td or max(1, math.ceil(max(durations))))
    info.update(
        extinf=[round(d, 6) for d in durations],
        extinf_sum=round(total_d, 6),
        max_extinf=round(max(durations), 6),
        segment_bytes=sizes,
        init_bytes=[v for v in inits.values()],
        total_segment_bytes=total_b,
        measured_average=round(total_b * 8 / total_d) if total_d > 0 else None,
        measured_peak=round(peak) if peak is not None else None,
        peak_window=window,
    )
    if args.duration is not None and abs(total_d - args.duration) > args.frame + 1e-9:
        err("%s: sum of EXTINF %.6f differs from the duration %.6f by %.6f s, more than one frame (%.6f s)"
            % (where, total_d, args.duration, total_d - args.duration, args.frame))
    return info


def is_video(codecs):
    return any(c.strip().startswith(VIDEO_CODEC_PREFIXES) for c in codecs.split(","))


def within(declared, measured, what, where):
    if measured is None or measured <= 0:
        return
    if declared is None:
        err("%s: no %s (measured %d bit/s)" % (where, what, measured))
        return
    ratio = declared / measured
    if ratio < 0.9:
        err("%s: %s %d is %.1f%% below the measured %d bit/s (more than 10%%)"
            % (where, what, declared, (1 - ratio) * 100, measured))
    elif ratio > 1.1:
        err("%s: %s %d is %.1f%% above the measured %d bit/s (more than 10%%)"
            % (where, what, declared, (ratio - 1) * 100, measured))


def main():
    ap = argparse.ArgumentParser(description="Check an HLS presentation served over HTTP.")
    ap.add_argument("url", help="master or media playlist URL")
    ap.add_argument("--duration", type=float, help="expected content duration in seconds (e.g. ffprobe's)")
    ap.add_argument("--frame", type=float, default=1001 / 30000, help="one frame in seconds (default 1/29.97)")
    ap.add_argument("--map-version", type=int, default=7,
                    help="EXT-X-VERSION required with EXT-X-MAP (default 7, issue #5; RFC 8216 needs 6)")
    ap.add_argument("--timeout", type=float, default=30, help="per-request timeout in seconds")
    args = ap.parse_args()

    variants = []
    top, text = load_playlist(args.url, args.timeout)
    if top is not None and not top.is_variant:
        # A media playlist on its own (e.g. audio-only served without a master).
        info = check_media(args.url, args, False, "media")
        variants.append(info)
    elif top is not None:
        where = args.url
        if not top.playlists:
            err("%s: master playlist without EXT-X-STREAM-INF" % where)
        if top.version is not None and int(top.version) >= 6 and "PROGRAM-ID" in text:
            err("%s: PROGRAM-ID with EXT-X-VERSION %s (removed in version 6)" % (where, top.version))
        independent = bool(top.is_independent_segments)
        # EXT-X-MEDIA renditions with their own playlists, measured once each.
        renditions = {}
        for m in top.media:
            if m.uri:
                key = m.absolute_uri
                if key not in renditions:
                    renditions[key] = check_media(key, args, independent,
                                                  "%s %s %s" % (m.type, m.group_id, m.name))
                    renditions[key]["media"] = {"type": m.type, "group_id": m.group_id, "name": m.name}
        for n, v in enumerate(top.playlists, 1):
            si = v.stream_info
            vwhere = "%s variant %d (%s)" % (where, n, v.uri)
            info = check_media(v.absolute_uri, args, independent, "variant %d" % n)
            info.update(bandwidth=si.bandwidth, average_bandwidth=si.average_bandwidth, codecs=si.codecs,
                        resolution="%dx%d" % si.resolution if si.resolution else None,
                        frame_rate=si.frame_rate, audio_group=si.audio)
            if not si.codecs:
                err("%s: no CODECS" % vwhere)
            if (si.codecs and is_video(si.codecs)) or si.resolution:
                if not si.resolution:
                    err("%s: no RESOLUTION on a video variant" % vwhere)
                if not si.frame_rate:
                    err("%s: no FRAME-RATE on a video variant" % vwhere)
            peak, avg = info.get("measured_peak"), info.get("measured_average")
            if si.audio:
                group = [r for r in renditions.values()
                         if r.get("media", {}).get("type") == "AUDIO" and r["media"]["group_id"] == si.audio]
                if not group and not any(m.group_id == si.audio for m in top.media):
                    err("%s: AUDIO group %r has no EXT-X-MEDIA" % (vwhere, si.audio))
                if group and peak is not None:
                    peak += max(r.get("measured_peak") or 0 for r in group)
                    avg = (avg or 0) + max(r.get("measured_average") or 0 for r in group)
            info["measured_peak_combined"], info["measured_average_combined"] = peak, avg
            if si.bandwidth is None:
                err("%s: no BANDWIDTH" % vwhere)
            else:
                within(si.bandwidth, peak, "BANDWIDTH", vwhere)
            within(si.average_bandwidth, avg, "AVERAGE-BANDWIDTH", vwhere)
            if peak and avg and peak > 2 * avg:
                warnings.append("%s: measured peak %d > 200%% of the measured average %d (Apple 1.30)"
                                % (vwhere, peak, avg))
            variants.append(info)
        variants.extend(renditions.values())

    tds = sorted({v["target_duration"] for v in variants if v.get("target_duration") is not None})
    if len(tds) > 1:
        err("different EXT-X-TARGETDURATION across media playlists: %s" % ", ".join(
            "%s=%s" % (v["uri"], v.get("target_duration")) for v in variants))

    ok = not errors
    print(json.dumps({"ok": ok, "errors": errors, "warnings": warnings, "variants": variants}, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
