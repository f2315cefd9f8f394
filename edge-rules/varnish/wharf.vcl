# wharf.vcl: Varnish 7 rules for a Wharf origin.
#
# Include it unchanged from your site VCL, after the backend, `acl wharf_purgers`,
# `acl wharf_tiers` and `sub wharf_check_secret` (see site.vcl.example and README.md).
#
# It requires:
#   - vmod_std and vmod_purge (ship with Varnish) and vmod_xkey (varnish-modules);
#   - varnishd started with `-p http_gzip_support=off`. Otherwise Varnish rewrites every backend
#     request's Accept-Encoding to "gzip" after vcl_recv, and Brotli is never fetched or cached.
#
# What it does:
#   - Cache lifetime from the origin's Surrogate-Control, else CDN-Cache-Control: max-age is the
#     TTL, stale-while-revalidate the window in which stale copies are served while a background
#     fetch revalidates, stale-if-error the window in which stale copies are served while the
#     origin is down or failing. Objects with a validator (ETag/Last-Modified) are kept one more
#     day for conditional revalidation (If-None-Match / If-Modified-Since, answered with 304).
#   - Accept-Encoding normalised to br | gzip | (unset); on image URLs Accept normalised to one
#     of three classes. The origin's Vary then works over at most 3 x 3 variants per URL.
#   - X-Cache on every response: HIT, MISS, STALE (served from grace), REVALIDATED (fetched
#     conditionally, the origin answered 304) or PASS (not cacheable).
#   - Purges (PURGE and BAN, secret + ACL; the exact interface is in README.md):
#       PURGE /path?query                         one URL, all its variants (hard, or soft with X-Wharf-Soft: 1)
#       PURGE /      + X-Wharf-Tags: t1 t2        surrogate tags via vmod xkey (hard or soft)
#       BAN /        + X-Wharf-Ban-Regex: ^/img/  URL-path prefix (lurker-friendly ban)
#       BAN /        + X-Wharf-Ban-All: 1         everything of this Host
#
# Surrogate tags are scoped per Host: the object's xkey header is stored as "<host>#<tag>"
# and tag purges are translated the same way, so purging "/" on one site leaves the other sites
# on this Varnish alone. Clients never see xkey, Surrogate-Control or X-Accel-Expires; clients in
# `acl wharf_tiers` (a Varnish tier in front of this one) get them unchanged, with the origin's
# unscoped tags.

vcl 4.1;

import std;
import purge;
import xkey;

# ---------------------------------------------------------------------------------------------
# Client side
# ---------------------------------------------------------------------------------------------

sub vcl_recv {
    # Internal headers: never from a client.
    if (req.restarts == 0) {
        unset req.http.X-Wharf-Grace;
    }
    unset req.http.X-Wharf-Secret-Ok;
    unset req.http.X-Wharf-Purged;

    # One spelling of the Host, the one purges and bans are scoped with: lower case, no port.
    if (req.http.Host) {
        set req.http.Host = std.tolower(regsub(req.http.Host, ":[0-9]+$", ""));
    }

    if (req.method == "PURGE" || req.method == "BAN") {
        call wharf_recv_purge;
    }
    # The secret never goes to the origin.
    unset req.http.X-Wharf-Purge-Secret;

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Wharf serves static files and never reads cookies; dropping them keeps responses cacheable.
    unset req.http.Cookie;
    if (req.http.Authorization) {
        return (pass);
    }

    # Accept-Encoding: br | gzip | unset (identity). A coding counts when it is listed with a
    # non-zero q, like the origin's parser; br wins over gzip, as at the origin.
    if (req.http.Accept-Encoding ~ "(?i)(^|,)\s*br\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
        set req.http.Accept-Encoding = "br";
    } elsif (req.http.Accept-Encoding ~ "(?i)(^|,)\s*(x-)?gzip\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }

    # Accept on image URLs (extension before the query, any case): one of three classes, which
    # is all the origin's fm=auto negotiation looks at (AVIF, else WebP, else the source format).
    if (req.url ~ "(?i)^[^?#]*\.(jpe?g|png|gif|webp|avif)([?#]|$)") {
        if (req.http.Accept ~ "(?i)(^|,)\s*image/avif\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
            set req.http.Accept = "image/avif,image/webp,*/*";
        } elsif (req.http.Accept ~ "(?i)(^|,)\s*image/webp\s*(;\s*q=(1(\.0*)?|0\.0*[1-9][0-9]*)\s*)?(,|$)") {
            set req.http.Accept = "image/webp,*/*";
        } else {
            set req.http.Accept = "*/*";
        }
    }

    # Second pass after a stale hit past its stale-while-revalidate window (see vcl_hit): look
    # the object up without grace, so the fetch is synchronous (and conditional, from keep).
    # Third pass when that fetch failed (vcl_deliver): the object's full grace again
    # (stale-if-error). req.grace survives restarts, hence the explicit upper bound.
    if (req.http.X-Wharf-Grace == "none") {
        set req.grace = 0s;
    } elsif (req.http.X-Wharf-Grace == "error") {
        set req.grace = 3650d;
    }
    return (hash);
}

# PURGE and BAN: ACL, secret, then one of the four forms; anything else is 400.
sub wharf_recv_purge {
    if (client.ip ~ wharf_purgers && req.http.X-Wharf-Purge-Secret ~ ".") {
        call wharf_check_secret;
    }
    if (req.http.X-Wharf-Secret-Ok != "1") {
        return (synth(403, "Forbidden"));
    }
    unset req.http.X-Wharf-Secret-Ok;
    unset req.http.X-Wharf-Purge-Secret;
    if (!req.http.Host) {
        return (synth(400, "Host required"));
    }
    if (req.http.X-Wharf-Soft && req.http.X-Wharf-Soft != "1" && req.http.X-Wharf-Soft != "0") {
        return (synth(400, "X-Wharf-Soft must be 1 or 0"));
    }

    if (req.method == "PURGE") {
        if (req.http.X-Wharf-Tags) {
            if (req.url != "/" || req.http.X-Wharf-Tags !~ "[^\s,]") {
                return (synth(400, "Tag purge is PURGE / with X-Wharf-Tags"));
            }
            # Scope each tag by the Host, as stored (vcl_backend_response).
            set req.http.X-Wharf-Tags = regsuball(req.http.X-Wharf-Tags, "([^\s,]+)", req.http.Host + "#\1");
            if (req.http.X-Wharf-Soft == "1") {
                set req.http.X-Wharf-Purged = xkey.softpurge(req.http.X-Wharf-Tags);
            } else {
                set req.http.X-Wharf-Purged = xkey.purge(req.http.X-Wharf-Tags);
            }
            return (synth(200, "Purged"));
        }
        if (req.http.X-Wharf-Ban-Regex || req.http.X-Wharf-Ban-All) {
            return (synth(400, "Bans use the BAN method"));
        }
        if (req.url !~ "^/") {
            return (synth(400, "Purge target must be origin-form (/path?query)"));
        }
        # URL purge: look the URL up, then purge.hard()/purge.soft() in vcl_hit or vcl_miss,
        # which act on every variant (Vary) of the URL.
        return (hash);
    }

    # BAN
    if (req.url != "/" || req.http.X-Wharf-Tags || (req.http.X-Wharf-Ban-All && req.http.X-Wharf-Ban-Regex)) {
        return (synth(400, "Ban is BAN / with X-Wharf-Ban-Regex or X-Wharf-Ban-All"));
    }
    if (req.http.X-Wharf-Ban-All) {
        if (req.http.X-Wharf-Ban-All != "1") {
            return (synth(400, "X-Wharf-Ban-All must be 1"));
        }
        if (!std.ban("obj.http.X-Wharf-Host == " + req.http.Host)) {
            return (synth(400, "Ban failed: " + std.ban_error()));
        }
        return (synth(200, "Banned"));
    }
    if (req.http.X-Wharf-Ban-Regex) {
        # An anchored regex of the raw URL path (ban arguments cannot be quoted: no whitespace).
        if (req.http.X-Wharf-Ban-Regex !~ "^\^/\S*$") {
            return (synth(400, "X-Wharf-Ban-Regex must start with ^/ and hold no whitespace"));
        }
        if (!std.ban("obj.http.X-Wharf-Host == " + req.http.Host +
                     " && obj.http.X-Wharf-Url ~ " + req.http.X-Wharf-Ban-Regex)) {
            return (synth(400, "Ban failed: " + std.ban_error()));
        }
        return (synth(200, "Banned"));
    }
    return (synth(400, "Ban is BAN / with X-Wharf-Ban-Regex or X-Wharf-Ban-All"));
}

sub wharf_purge_url {
    if (req.http.X-Wharf-Soft == "1") {
        # TTL to 0, grace and keep untouched: the next request gets the stale copy while a
        # background fetch revalidates it (within stale-while-revalidate), or revalidates it
        # synchronously with If-None-Match (past it).
        set req.http.X-Wharf-Purged = purge.soft();
    } else {
        set req.http.X-Wharf-Purged = purge.hard();
    }
    return (synth(200, "Purged"));
}

sub vcl_hit {
    if (req.method == "PURGE") {
        call wharf_purge_url;
    }
    # A stale object (in grace). Within stale-while-revalidate, or while the origin is sick (its
    # probe failing: stale-if-error), the built-in delivers it and refreshes it in the background.
    # Past stale-while-revalidate with a healthy origin: look it up again without grace, which
    # fetches synchronously (conditionally, with the stale copy's validators).
    if (obj.ttl <= 0s && !req.http.X-Wharf-Grace && std.healthy(req.backend_hint) &&
        obj.ttl + std.duration(obj.http.X-Wharf-SWR, 0s) <= 0s) {
        set req.http.X-Wharf-Grace = "none";
        return (restart);
    }
}

sub vcl_miss {
    if (req.method == "PURGE") {
        call wharf_purge_url;
    }
}

sub vcl_pass {
    # A PURGE that met a hit-for-pass object: nothing cached to purge.
    if (req.method == "PURGE") {
        set req.http.X-Wharf-Purged = "0";
        return (synth(200, "Purged"));
    }
}

sub vcl_deliver {
    # The synchronous fetch after a stale hit failed (origin down, probe not yet sick, or a 5xx):
    # serve the stale copy if it is still within stale-if-error.
    if (resp.status >= 500 && req.http.X-Wharf-Grace == "none") {
        set req.http.X-Wharf-Grace = "error";
        return (restart);
    }

    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        if (obj.ttl <= 0s) {
            set resp.http.X-Cache = "STALE";
        } else {
            set resp.http.X-Cache = "HIT";
        }
    } elsif (resp.http.X-Wharf-Revalidated) {
        set resp.http.X-Cache = "REVALIDATED";
    } else {
        set resp.http.X-Cache = "MISS";
    }

    if (client.ip ~ wharf_tiers) {
        # A cache tier in front of this one: it needs the origin's tags and CDN lifetimes.
        if (resp.http.X-Wharf-Tags) {
            set resp.http.xkey = resp.http.X-Wharf-Tags;
        }
    } else {
        unset resp.http.xkey;
        unset resp.http.Surrogate-Control;
        unset resp.http.X-Accel-Expires;
    }
    unset resp.http.X-Wharf-Tags;
    unset resp.http.X-Wharf-Url;
    unset resp.http.X-Wharf-Host;
    unset resp.http.X-Wharf-SWR;
    unset resp.http.X-Wharf-Revalidated;
}

sub vcl_synth {
    if (resp.status >= 500 && req.http.X-Wharf-Grace == "none") {
        set req.http.X-Wharf-Grace = "error";
        return (restart);
    }
    if (req.method == "PURGE" || req.method == "BAN") {
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        if (resp.status == 200 && req.http.X-Wharf-Purged) {
            set resp.body = "purged " + req.http.X-Wharf-Purged + {"
"};
        } elsif (resp.status == 200) {
            set resp.body = "banned" + {"
"};
        } else {
            set resp.body = resp.reason + {"
"};
        }
        return (deliver);
    }
}

# ---------------------------------------------------------------------------------------------
# Backend side
# ---------------------------------------------------------------------------------------------

sub vcl_backend_fetch {
    unset bereq.http.X-Wharf-Grace;
}

sub vcl_backend_response {
    # Ban fields on the object itself, so the ban lurker can evaluate bans in the background.
    set beresp.http.X-Wharf-Url = bereq.url;
    set beresp.http.X-Wharf-Host = bereq.http.Host;
    if (beresp.was_304) {
        set beresp.http.X-Wharf-Revalidated = "1";
    } else {
        unset beresp.http.X-Wharf-Revalidated;
    }
    unset beresp.http.X-Wharf-SWR;
    unset beresp.http.X-Wharf-Tags;

    # Surrogate tags: keep the origin's list for tiers, index them per Host.
    if (beresp.http.xkey) {
        std.collect(beresp.http.xkey, " ");
        set beresp.http.X-Wharf-Tags = beresp.http.xkey;
        set beresp.http.xkey = regsuball(beresp.http.xkey, "([^\s,]+)", bereq.http.Host + "#\1");
    }

    if (beresp.status >= 500) {
        # Never cache origin errors; a background refresh that fails leaves the stale copy alone.
        if (bereq.is_bgfetch) {
            return (abandon);
        }
        set beresp.ttl = 0s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.http.Set-Cookie || beresp.http.Vary == "*") {
        call wharf_hit_for_miss;
    }

    # The CDN directives: Surrogate-Control, else CDN-Cache-Control (RFC 9213).
    unset beresp.http.X-Wharf-CC;
    if (beresp.http.Surrogate-Control) {
        std.collect(beresp.http.Surrogate-Control);
        set beresp.http.X-Wharf-CC = beresp.http.Surrogate-Control;
    } elsif (beresp.http.CDN-Cache-Control) {
        std.collect(beresp.http.CDN-Cache-Control);
        set beresp.http.X-Wharf-CC = beresp.http.CDN-Cache-Control;
    }

    if (beresp.http.X-Wharf-CC) {
        if (beresp.http.X-Wharf-CC ~ "(?i)(^|[,\s])(no-store|private)([,\s=;]|$)") {
            unset beresp.http.X-Wharf-CC;
            call wharf_hit_for_miss;
        }
        if (beresp.http.X-Wharf-CC ~ "(?i)(^|[,\s])max-age\s*=\s*[0-9]+") {
            set beresp.ttl = std.duration(regsub(beresp.http.X-Wharf-CC,
                "(?i)^(.*[,\s])?max-age\s*=\s*([0-9]+).*$", "\2s"), 0s);
        } elsif (beresp.http.X-Wharf-CC ~ "(?i)(^|[,\s])no-cache([,\s=;]|$)") {
            set beresp.ttl = 0s;
        }
        # stale-while-revalidate: remembered on the object for vcl_hit.
        if (beresp.http.X-Wharf-CC ~ "(?i)(^|[,\s])stale-while-revalidate\s*=\s*[0-9]+") {
            set beresp.http.X-Wharf-SWR = regsub(beresp.http.X-Wharf-CC,
                "(?i)^(.*[,\s])?stale-while-revalidate\s*=\s*([0-9]+).*$", "\2s");
        } else {
            set beresp.http.X-Wharf-SWR = "0s";
        }
        # grace = max(stale-while-revalidate, stale-if-error).
        set beresp.grace = std.duration(beresp.http.X-Wharf-SWR, 0s);
        if (beresp.http.X-Wharf-CC ~ "(?i)(^|[,\s])stale-if-error\s*=\s*[0-9]+") {
            if (std.duration(regsub(beresp.http.X-Wharf-CC,
                    "(?i)^(.*[,\s])?stale-if-error\s*=\s*([0-9]+).*$", "\2s"), 0s) > beresp.grace) {
                set beresp.grace = std.duration(regsub(beresp.http.X-Wharf-CC,
                    "(?i)^(.*[,\s])?stale-if-error\s*=\s*([0-9]+).*$", "\2s"), 0s);
            }
        }
        unset beresp.http.X-Wharf-CC;
    } else {
        # No CDN directives: Varnish's own reading of Cache-Control/Expires stands, except that
        # private or no-store responses are not cached.
        if (beresp.http.Cache-Control ~ "(?i)(^|[,\s])(no-store|private)([,\s=;]|$)") {
            call wharf_hit_for_miss;
        }
        set beresp.http.X-Wharf-SWR = beresp.grace;
        set beresp.http.X-Wharf-SWR = regsub(beresp.http.X-Wharf-SWR, "^([0-9]+).*$", "\1s");
    }

    # Keep validated objects a day past grace: an expired copy is then revalidated with a
    # conditional request (304) instead of refetched, and soft purges always revalidate.
    if (beresp.http.ETag || beresp.http.Last-Modified) {
        set beresp.keep = 1d;
    }
    if (beresp.ttl <= 0s && beresp.grace <= 0s && beresp.keep <= 0s) {
        call wharf_hit_for_miss;
    }
    # Skip the built-in, which would turn ttl=0 (always revalidate) into hit-for-miss.
    return (deliver);
}

sub wharf_hit_for_miss {
    unset beresp.http.X-Wharf-CC;
    set beresp.ttl = 120s;
    set beresp.grace = 0s;
    set beresp.keep = 0s;
    set beresp.uncacheable = true;
    return (deliver);
}
