# wharf-deliver.vcl: Fastly VCL snippet, type "deliver", priority 10 (see README.md).
#
# Cache-internal headers are for caches only. On the node that answers the client
# (fastly.ff.visits_this_service == 0) they are removed; a shield answering an edge keeps them,
# so the edge indexes the same surrogate keys and computes the same TTL. Fastly removes
# Surrogate-Key itself; unsetting it again is harmless. A request with Fastly-Debug keeps them
# all, as Fastly does for Surrogate-Key.
if (fastly.ff.visits_this_service == 0 && !req.http.Fastly-Debug) {
  unset resp.http.Surrogate-Key;
  unset resp.http.Surrogate-Control;
  unset resp.http.CDN-Cache-Control;
  unset resp.http.Cache-Tag;
  unset resp.http.Edge-Cache-Tag;
  unset resp.http.xkey;
  unset resp.http.Cache-Groups;
  unset resp.http.X-Accel-Expires;
}
