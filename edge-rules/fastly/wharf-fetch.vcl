# wharf-fetch.vcl: Fastly VCL snippet, type "fetch", priority 10 (see README.md).
#
# Fastly has already set beresp.ttl, beresp.stale_while_revalidate and beresp.stale_if_error
# from the origin's Surrogate-Control (preferred over Cache-Control), taking Age into account.
# Wharf sends Surrogate-Control on every response, so nothing here sets a TTL.

# An origin error while a stale copy exists (within stale-while-revalidate or stale-if-error):
# serve the stale copy instead of the error. Without one, Fastly's default handling follows.
if (beresp.status >= 500 && beresp.status < 600) {
  if (stale.exists) {
    return(deliver_stale);
  }
}

# Fastly's TTL parsing ignores no-store and private. Honour them from either CDN field (a
# [[cache.rules]] entry may set only one of the two): do not store, and remember that for two
# minutes (hit-for-pass), as the Varnish rules do.
if (beresp.http.Surrogate-Control ~ "(?i)(^|[,\s])(no-store|private)([,\s=;]|$)" ||
    beresp.http.CDN-Cache-Control ~ "(?i)(^|[,\s])(no-store|private)([,\s=;]|$)") {
  set beresp.ttl = 120s;
  return(pass);
}
