/*! wharf-kit 0.1.0: small helpers for the Wharf demo site. The name carries a fingerprint, so the
    origin serves it as immutable for a year; a new version gets a new name. */
(function (global) {
  "use strict";

  var UNITS = ["B", "KiB", "MiB", "GiB"];

  function formatBytes(value) {
    var n = Number(value);
    if (value === null || value === "" || !isFinite(n) || n < 0) return "\u2014";
    var i = 0;
    while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + UNITS[i];
  }

  function formatSeconds(value) {
    var s = Number(value);
    if (!isFinite(s)) return String(value);
    if (s >= 31536000) return Math.round(s / 31536000) + " y";
    if (s >= 86400) return Math.round(s / 86400) + " d";
    if (s >= 3600) return Math.round(s / 3600) + " h";
    if (s >= 60) return Math.round(s / 60) + " min";
    return s + " s";
  }

  // "public, max-age=60, stale-if-error" -> { public: true, "max-age": "60", "stale-if-error": true }
  function parseCacheControl(header) {
    var directives = {};
    String(header || "").split(",").forEach(function (part) {
      var eq = part.indexOf("=");
      var name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
      if (!name) return;
      directives[name] = eq < 0 ? true : part.slice(eq + 1).trim().replace(/^"|"$/g, "");
    });
    return directives;
  }

  function describeCache(header) {
    if (!header) return "no Cache-Control";
    var cc = parseCacheControl(header);
    if (cc["no-store"]) return "never stored";
    if (cc.immutable && cc["max-age"]) return "immutable, fresh for " + formatSeconds(cc["max-age"]);
    if (cc["no-cache"] || cc["max-age"] === "0") return "revalidated on every use";
    if (cc["max-age"]) {
      var text = "fresh for " + formatSeconds(cc["max-age"]);
      if (cc["stale-while-revalidate"]) text += ", then stale-while-revalidate " + formatSeconds(cc["stale-while-revalidate"]);
      return text;
    }
    return header;
  }

  global.wharfKit = Object.freeze({
    formatBytes: formatBytes,
    formatSeconds: formatSeconds,
    parseCacheControl: parseCacheControl,
    describeCache: describeCache
  });
})(window);
