# wharf-recv.vcl: Fastly VCL snippet, type "recv", priority 10 (see README.md).
# Inserted by Fastly at the #FASTLY recv macro of vcl_recv; it never returns, so Fastly's own
# recv logic (backend and shield selection, GET/HEAD lookup, pass for other methods) still runs.

# Purges come only from Wharf's API client, which authenticates with Fastly-Key. Refuse
# unauthenticated URL purges (`curl -X PURGE https://www.example.com/x`), which Fastly accepts
# by default.
if (req.method == "FASTLYPURGE") {
  set req.http.Fastly-Purge-Requires-Auth = "1";
}

# Accept-Encoding: br | gzip | unset (identity), the way the origin chooses: a coding counts when
# it is listed with a non-zero q, br before gzip. Fastly has already rewritten Accept-Encoding
# before vcl_recv (to "gzip", "deflate" or nothing; never br) and kept the client's value in
# Fastly-Orig-Accept-Encoding, so the decision is made on that. At a shield the incoming value is
# the edge's normalised one, which maps to itself.
if (req.http.Fastly-Orig-Accept-Encoding ~ "(?i)(^|,)\s*br\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
  set req.http.Accept-Encoding = "br";
} else if (req.http.Fastly-Orig-Accept-Encoding ~ "(?i)(^|,)\s*(x-)?gzip\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
  set req.http.Accept-Encoding = "gzip";
} else {
  unset req.http.Accept-Encoding;
}

# Accept on image URLs (extension before the query, any case; the same test as the Varnish
# rules): one of three classes, which is all the origin's fm=auto negotiation looks at (AVIF,
# else WebP, else the source format). Other URLs keep the client's Accept.
if (req.url ~ "(?i)^[^?#]*\.(jpe?g|png|gif|webp|avif)([?#]|$)") {
  if (req.http.Accept ~ "(?i)(^|,)\s*image/avif\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
    set req.http.Accept = "image/avif,image/webp,*/*";
  } else if (req.http.Accept ~ "(?i)(^|,)\s*image/webp\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
    set req.http.Accept = "image/webp,*/*";
  } else {
    set req.http.Accept = "*/*";
  }
}

# The origin's Vary (Accept-Encoding, and Accept on negotiated images) now selects among at most
# 3 x 3 variants per URL. The cache key itself (vcl_hash: host + URL) is left alone, so one URL
# purge removes every variant.

# Wharf serves static files and never reads cookies.
if (req.method == "GET" || req.method == "HEAD") {
  unset req.http.Cookie;
}
