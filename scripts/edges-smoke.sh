#!/usr/bin/env bash
# End-to-end check of the edge rules (edge-rules/varnish, edge-rules/nginx) with curl: starts a
# wharf binary on the demo site, both edges in front of it (scripts/edges.sh), and checks caching,
# variants, every purge form, the secret and stale-if-error. Everything runs on 127.0.0.1.
#
#   scripts/edges-smoke.sh [WHARF_BINARY]        (default: .build/release/wharf)
#
# Ports: EDGE_SMOKE_PORT (default 17180) and the next four. Exits non-zero on the first failure,
# after printing what was expected and what came back.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wharf=${1:-$repo/.build/release/wharf}
[[ -x $wharf ]] || { echo "edges-smoke: no wharf binary at $wharf" >&2; exit 2; }
wharf=$(cd "$(dirname "$wharf")" && pwd)/$(basename "$wharf")   # it runs from a temporary directory

base=${EDGE_SMOKE_PORT:-17180}
origin=$base admin=$((base + 1)) vport=$((base + 2)) nport=$((base + 3))
secret=smoke-$RANDOM$RANDOM$RANDOM
host=www.example.com
work=$(mktemp -d /tmp/wharf-edges-smoke.XXXXXX)
wharf_pid=

cleanup() {
    "$repo/scripts/edges.sh" stop "$work" || true
    if [[ -n $wharf_pid ]]; then
        kill "$wharf_pid" 2>/dev/null || true
        wait "$wharf_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/wharf.toml" <<'EOF'
[tags]
headers = ["xkey"]
build_id = "smoke"

[cache]
x_accel_expires = true

[log]
access = "off"

# Short lifetimes under /docs/ so that the stale checks need not wait a minute.
[[cache.rules]]
match = "/docs/**"
cdn_cache_control = "max-age=1, stale-while-revalidate=1, stale-if-error=600"
surrogate_control = "max-age=1, stale-while-revalidate=1, stale-if-error=600"
EOF

start_wharf() {
    (cd "$work" && exec "$wharf" serve --root "$repo/public" --listen "127.0.0.1:$origin" \
        --admin-listen "127.0.0.1:$admin" --config "$work/wharf.toml" >>"$work/wharf.log" 2>&1) &
    wharf_pid=$!
    local i
    for ((i = 0; i < 100; i++)); do
        curl -sf -o /dev/null "http://127.0.0.1:$admin/readyz" && return 0
        sleep 0.1
    done
    cat "$work/wharf.log" >&2
    echo "edges-smoke: wharf did not become ready" >&2
    exit 1
}

stop_wharf() {
    kill "$wharf_pid"
    wait "$wharf_pid" 2>/dev/null || true
    wharf_pid=
}

checks=0
# get PORT PATH [curl args] -> "status x-cache content-encoding content-type"
get() {
    local port=$1 path=$2
    shift 2
    curl -s -o /dev/null -D - -H "Host: $host" "$@" "http://127.0.0.1:$port$path" | tr -d '\r' |
        awk 'NR==1 {s=$2} tolower($1)=="x-cache:" {x=$2} tolower($1)=="content-encoding:" {e=$2}
             tolower($1)=="content-type:" {sub(/;.*/, "", $2); t=$2}
             END {printf "%s %s %s %s\n", s, (x ? x : "-"), (e ? e : "-"), (t ? t : "-")}'
}
# expect WHAT ACTUAL PATTERN: ACTUAL must match the extended regex PATTERN.
expect() {
    checks=$((checks + 1))
    if [[ ! $2 =~ $3 ]]; then
        echo "FAIL: $1: got '$2', expected /$3/" >&2
        exit 1
    fi
    echo "ok   $1: $2"
}
# purge METHOD PORT PATH [curl args] -> "status body"
purge() {
    local method=$1 port=$2 path=$3
    shift 3
    curl -s -X "$method" -w ' %{http_code}' -H "Host: $host" -H "X-Wharf-Purge-Secret: $secret" "$@" \
        "http://127.0.0.1:$port$path" | tr -s '\n' ' ' | awk '{print $NF, $0}' | cut -c1-60
}
# nginx: one request per (ae, img) for one raw target.
nginx_purge_url() {
    local target=$1 imgs=$2 ae img
    for ae in br gzip identity; do
        for img in $imgs; do
            purge PURGE "$nport" "/.wharf-purge/$ae/$img$target" >/dev/null
        done
    done
}

css=/css/site.css
img='/img/rocket.jpg?w=200&fm=auto'
aes=(br gzip identity)
declare -A ce=([br]=br [gzip]=gzip [identity]=-)
accepts=("image/avif,image/webp,*/*;q=0.8" "image/webp,*/*" "text/html,*/*;q=0.8")
declare -A ct=(["image/avif,image/webp,*/*;q=0.8"]=image/avif ["image/webp,*/*"]=image/webp
               ["text/html,*/*;q=0.8"]=image/jpeg)

# all_variants PORT NAME PATTERN: the 3 encodings of $css and the 3 formats of $img.
all_variants() {
    local port=$1 name=$2 pattern=$3 a
    for a in "${aes[@]}"; do
        expect "$name css ae=$a" "$(get "$port" "$css" -H "Accept-Encoding: $a")" "^200 $pattern ${ce[$a]} text/css$"
    done
    for a in "${accepts[@]}"; do
        expect "$name img ${ct[$a]}" "$(get "$port" "$img" -H "Accept: $a" -H 'Accept-Encoding: br')" "^200 $pattern - ${ct[$a]}$"
    done
}

start_wharf
"$repo/scripts/edges.sh" start "$work" "$origin" "$vport" "$nport" "$secret"

for port in "$vport" "$nport"; do
    edge=$([[ $port == "$vport" ]] && echo varnish || echo nginx)
    echo "== $edge"
    all_variants "$port" "$edge first" MISS
    all_variants "$port" "$edge again" HIT
    expect "$edge q=0 br" "$(get "$port" "$css" -H 'Accept-Encoding: br;q=0, gzip')" "^200 HIT gzip text/css$"
    if [[ $edge == varnish ]]; then
        expect "$edge no secret" "$(curl -s -o /dev/null -w '%{http_code}' -X PURGE -H "Host: $host" "http://127.0.0.1:$port$css")" "^403$"
        expect "$edge wrong secret" "$(curl -s -o /dev/null -w '%{http_code}' -X PURGE -H "Host: $host" -H 'X-Wharf-Purge-Secret: wrong' "http://127.0.0.1:$port$css")" "^403$"
        expect "$edge bad form" "$(purge BAN "$port" /)" "^400 "
    else
        expect "$edge no secret" "$(curl -s -o /dev/null -w '%{http_code}' -X PURGE -H "Host: $host" "http://127.0.0.1:$port/.wharf-purge/br/-$css")" "^403$"
        expect "$edge wrong secret" "$(curl -s -o /dev/null -w '%{http_code}' -X PURGE -H "Host: $host" -H 'X-Wharf-Purge-Secret: wrong' "http://127.0.0.1:$port/.wharf-purge/br/-$css")" "^403$"
        expect "$edge bad form" "$(purge PURGE "$port" /.wharf-purge/deflate/-$css)" "^400 "
    fi
done

echo "== varnish purges"
expect "URL hard" "$(purge PURGE "$vport" "$css")" "^200 purged 3 "
expect "URL hard img" "$(purge PURGE "$vport" "$img")" "^200 purged 3 "
all_variants "$vport" "after URL hard" MISS
expect "URL soft" "$(purge PURGE "$vport" "$css" -H 'X-Wharf-Soft: 1')" "^200 purged 3 "
for a in "${aes[@]}"; do
    expect "after URL soft ae=$a" "$(get "$vport" "$css" -H "Accept-Encoding: $a")" "^200 STALE ${ce[$a]} text/css$"
done
expect "tags hard" "$(purge PURGE "$vport" / -H 'X-Wharf-Tags: /img/rocket.jpg /css/site.css')" "^200 purged 6 "
all_variants "$vport" "after tags hard" MISS
vendor=/js/vendor.3f2a9c1d7e.js
expect "vendor fill" "$(get "$vport" $vendor -H 'Accept-Encoding: br')" "^200 MISS br"
expect "tags soft" "$(purge PURGE "$vport" / -H "X-Wharf-Tags: $vendor" -H 'X-Wharf-Soft: 1')" "^200 purged 1 "
expect "after tags soft (no swr: revalidated)" "$(get "$vport" $vendor -H 'Accept-Encoding: br')" "^200 REVALIDATED br"
expect "after tags soft, again" "$(get "$vport" $vendor -H 'Accept-Encoding: br')" "^200 HIT br"
expect "tags, other host" "$(host=other.example purge PURGE "$vport" / -H 'X-Wharf-Tags: /')" "^200 purged 0 "
expect "ban prefix" "$(purge BAN "$vport" / -H 'X-Wharf-Ban-Regex: ^/img/')" "^200 banned"
for a in "${accepts[@]}"; do
    expect "after ban prefix img ${ct[$a]}" "$(get "$vport" "$img" -H "Accept: $a" -H 'Accept-Encoding: br')" "^200 MISS - ${ct[$a]}$"
done
expect "css untouched by ban prefix" "$(get "$vport" "$css" -H 'Accept-Encoding: br')" "^200 HIT br"
expect "ban all" "$(purge BAN "$vport" / -H 'X-Wharf-Ban-All: 1')" "^200 banned"
all_variants "$vport" "after ban all" MISS

echo "== nginx purges"
expect "one entry" "$(purge PURGE "$nport" "/.wharf-purge/br/-$css")" "^200 "
expect "one entry again" "$(purge PURGE "$nport" "/.wharf-purge/br/-$css")" "^404 "
nginx_purge_url "$css" -
nginx_purge_url "$img" "avif webp other"
all_variants "$nport" "after purges" MISS
all_variants "$nport" "refilled" HIT

echo "== origin down"
expect "varnish docs fill" "$(get "$vport" /docs/)" "^200 (MISS|HIT|STALE|REVALIDATED) "
expect "nginx docs fill" "$(get "$nport" /docs/)" "^200 (MISS|HIT|STALE) "
sleep 3   # past max-age=1 and stale-while-revalidate=1
stop_wharf
# Varnish: the probe may not have noticed yet; the failed synchronous fetch falls back to grace.
expect "varnish stale-if-error (probe still healthy)" "$(get "$vport" /docs/)" "^200 STALE "
expect "nginx stale-if-error" "$(get "$nport" /docs/)" "^200 STALE "
sleep 2
expect "varnish stale-if-error (probe sick)" "$(get "$vport" /docs/)" "^200 STALE "
expect "varnish css (fresh) still a hit" "$(get "$vport" "$css" -H 'Accept-Encoding: br')" "^200 HIT br"
expect "varnish never cached" "$(get "$vport" /never-cached)" "^503 "
expect "nginx never cached" "$(get "$nport" /never-cached)" "^502 "

echo "edges-smoke: all $checks checks passed"
