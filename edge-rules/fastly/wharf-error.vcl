# wharf-error.vcl: Fastly VCL snippet, type "error", priority 10 (see README.md).
#
# The origin (or the shield) is unreachable or timed out and Fastly built an error object:
# serve the stale copy if one is still within its stale-if-error window.
if (obj.status >= 500 && obj.status < 600 && stale.exists) {
  return(deliver_stale);
}
