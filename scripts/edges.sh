#!/usr/bin/env bash
# Starts and stops the two real edge caches of edge-rules/ (Varnish 7 with vmod xkey, nginx with
# ngx_cache_purge) in front of a running `wharf serve`, for the purge integration tests.
#
#   scripts/edges.sh start WORKDIR ORIGIN_PORT VARNISH_PORT NGINX_PORT SECRET
#   scripts/edges.sh stop  WORKDIR
#
# start renders the site configurations from edge-rules/*/site.*.example into WORKDIR (origin on
# 127.0.0.1:ORIGIN_PORT, both edges on 127.0.0.1, purges allowed from 127.0.0.1 with SECRET),
# starts varnishd and nginx with everything (pid files, logs, cache, temp dirs) inside WORKDIR,
# waits until both answer and Varnish sees the origin as healthy, and exits 0; on failure it
# prints the logs and exits non-zero. The origin must already be listening.
# stop stops whatever start started (by pid file); it is idempotent.
#
# varnishd runs with -p http_gzip_support=off, which wharf.vcl requires (with it on, Varnish asks
# the origin for gzip whatever the client accepts, and Brotli is never cached), and with a fast
# health probe and ban lurker so tests do not wait. Needs no network; works as root (both daemons
# then keep running as root, inside WORKDIR only).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
varnish_rules=$repo/edge-rules/varnish
nginx_rules=$repo/edge-rules/nginx
nginx_module=/usr/lib/nginx/modules/ngx_http_cache_purge_module.so

usage() {
    echo "usage: $0 start WORKDIR ORIGIN_PORT VARNISH_PORT NGINX_PORT SECRET" >&2
    echo "       $0 stop WORKDIR" >&2
    exit 2
}

die() { echo "edges: $*" >&2; exit 1; }

is_port() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 && $1 < 65536 )); }

# Whether something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Replaces $2 by $3 (literal strings) in file $1, and fails if $2 was not there: a changed
# example must not silently render into a config that points elsewhere.
replace() {
    local file=$1 from=$2 to=$3 text
    text=$(<"$file")
    [[ $text == *"$from"* ]] || die "render: '$from' not found in $file"
    printf '%s\n' "${text//"$from"/"$to"}" >"$file"
}

# Prints the last lines of each log given that exists.
show_logs() {
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        echo "---- $f" >&2
        tail -n 60 "$f" >&2
    done
}

pid_alive() { [[ -s $1 ]] && kill -0 "$(<"$1")" 2>/dev/null; }

# Sends $2 to the process in pid file $1 and waits up to 10 s for it to exit (then KILL).
stop_pidfile() {
    local pidfile=$1 signal=$2 pid i
    [[ -s $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "-$signal" "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "edges: pid $pid did not exit after SIG$signal; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

stop() {
    local work=$1
    [[ -d $work ]] || return 0
    work=$(cd "$work" && pwd)
    stop_pidfile "$work/nginx/nginx.pid" QUIT
    stop_pidfile "$work/varnish/varnishd.pid" TERM
}

# The daemons must not inherit the caller's descriptors: a parent that watches a pipe or socket
# for its child's exit (Foundation's Process does) would otherwise wait for the daemons too.
close_inherited_fds() {
    local path fd
    for path in /proc/$$/fd/*; do
        fd=${path##*/}
        [[ $fd =~ ^[0-9]+$ ]] && (( fd > 2 && fd != 255 )) || continue
        eval "exec $fd>&-" 2>/dev/null || true
    done
}

start() {
    local work=$1 origin=$2 vport=$3 nport=$4 secret=$5
    close_inherited_fds
    is_port "$origin" && is_port "$vport" && is_port "$nport" || die "ports must be numbers in 1..65535"
    # The secret goes into a VCL string and an nginx string: keep it to characters neither quotes.
    [[ $secret =~ ^[A-Za-z0-9._~+/=-]{8,}$ ]] || die "SECRET: 8+ characters from A-Z a-z 0-9 . _ ~ + / = -"
    command -v varnishd >/dev/null || die "varnishd not found (apt-get install varnish varnish-modules)"
    command -v nginx >/dev/null || die "nginx not found (apt-get install nginx libnginx-mod-http-cache-purge)"
    [[ -f $nginx_module ]] || die "$nginx_module not found (apt-get install libnginx-mod-http-cache-purge)"
    port_open "$origin" || die "no origin listening on 127.0.0.1:$origin"

    mkdir -p "$work"
    work=$(cd "$work" && pwd)
    # A previous run in the same WORKDIR: stop it first, so start is repeatable.
    stop "$work"
    for port in "$vport" "$nport"; do
        port_open "$port" && die "127.0.0.1:$port is already in use"
    done

    # ---- Varnish ------------------------------------------------------------------------------
    local vdir=$work/varnish
    rm -rf "$vdir"
    mkdir -p "$vdir"
    local vcl=$vdir/site.vcl
    cp "$varnish_rules/site.vcl.example" "$vcl"
    replace "$vcl" '.port = "8080";' ".port = \"$origin\";"
    replace "$vcl" '"change-me-to-a-long-random-secret"' "\"$secret\""
    # A quick probe: the origin counts as down after ~1.5 s of failures.
    replace "$vcl" '.interval = 5s;' '.interval = 0.5s;'
    replace "$vcl" '.timeout = 2s;' '.timeout = 0.4s;'

    local vargs=(
        -n "$vdir/state"
        -a "127.0.0.1:$vport"
        -T 127.0.0.1:0
        -f "$vcl"
        -p "vcl_path=$varnish_rules"
        -P "$vdir/varnishd.pid"
        -s malloc,64m
        -p http_gzip_support=off
        # Bans are also checked at lookup; a fast lurker just keeps the ban list short.
        -p ban_lurker_age=1
        -p ban_lurker_sleep=0.05
    )
    # As root varnishd would switch to the 'varnish'/'vcache' users, which cannot read a private
    # WORKDIR; a test instance has no need for that jail.
    if [[ $(id -u) -eq 0 ]]; then
        vargs+=(-j none)
    fi
    if ! varnishd "${vargs[@]}" >"$vdir/varnishd.log" 2>&1; then
        show_logs "$vdir/varnishd.log"
        die "varnishd did not start"
    fi

    # ---- nginx --------------------------------------------------------------------------------
    local ndir=$work/nginx
    rm -rf "$ndir"
    mkdir -p "$ndir"/{cache,temp/client,temp/proxy,temp/fastcgi,temp/uwsgi,temp/scgi,logs}
    cp "$nginx_rules/wharf-edge.conf" "$ndir/wharf-edge.conf"
    replace "$ndir/wharf-edge.conf" 'proxy_cache_path /var/cache/nginx/wharf ' "proxy_cache_path $ndir/cache "
    replace "$ndir/wharf-edge.conf" 'max_size=10g' 'max_size=256m'
    cp "$nginx_rules/site.conf.example" "$ndir/site.conf"
    replace "$ndir/site.conf" 'server 127.0.0.1:8080 ' "server 127.0.0.1:$origin "
    replace "$ndir/site.conf" 'listen 127.0.0.1:8081;' "listen 127.0.0.1:$nport;"
    replace "$ndir/site.conf" '"change-me-to-a-long-random-secret"' "\"$secret\""
    local user_line=""
    [[ $(id -u) -eq 0 ]] && user_line="user root;"
    cat >"$ndir/nginx.conf" <<EOF
# Generated by scripts/edges.sh for tests; the rules are edge-rules/nginx/.
load_module $nginx_module;
$user_line
daemon on;
worker_processes 1;
pid $ndir/nginx.pid;
error_log $ndir/logs/error.log info;

events {
    worker_connections 512;
}

http {
    access_log $ndir/logs/access.log;
    client_body_temp_path $ndir/temp/client;
    proxy_temp_path $ndir/temp/proxy;
    fastcgi_temp_path $ndir/temp/fastcgi;
    uwsgi_temp_path $ndir/temp/uwsgi;
    scgi_temp_path $ndir/temp/scgi;
    types_hash_max_size 2048;

    include $ndir/wharf-edge.conf;
    include $ndir/site.conf;
}
EOF
    if ! nginx -p "$ndir" -e "$ndir/logs/error.log" -c "$ndir/nginx.conf" >"$ndir/logs/start.log" 2>&1; then
        show_logs "$ndir/logs/start.log" "$ndir/logs/error.log"
        stop "$work"
        die "nginx did not start"
    fi

    # ---- Wait until both answer (nothing is fetched through the caches, so they stay empty) ----
    local i vhealthy=0 vup=0 nup=0
    for ((i = 0; i < 150; i++)); do
        # An unauthenticated purge is answered by each edge itself with 403.
        if ((vup == 0)) && [[ $(curl -s -o /dev/null -w '%{http_code}' -X PURGE \
                "http://127.0.0.1:$vport/" 2>/dev/null) == 403 ]]; then
            vup=1
        fi
        if ((nup == 0)) && [[ $(curl -s -o /dev/null -w '%{http_code}' \
                "http://127.0.0.1:$nport/.wharf-purge/" 2>/dev/null) == 403 ]]; then
            nup=1
        fi
        if ((vup == 1 && vhealthy == 0)) &&
            varnishadm -n "$vdir/state" backend.list 2>/dev/null | grep -qi 'healthy' &&
            ! varnishadm -n "$vdir/state" backend.list 2>/dev/null | grep -qi 'sick'; then
            vhealthy=1
        fi
        ((vup && nup && vhealthy)) && break
        sleep 0.1
    done
    if ! ((vup && nup && vhealthy)); then
        ((vup)) || echo "edges: varnish does not answer on 127.0.0.1:$vport" >&2
        ((vhealthy)) || { echo "edges: varnish does not see the origin as healthy:" >&2
                          varnishadm -n "$vdir/state" backend.list >&2 2>&1 || true; }
        ((nup)) || echo "edges: nginx does not answer on 127.0.0.1:$nport" >&2
        show_logs "$vdir/varnishd.log" "$ndir/logs/start.log" "$ndir/logs/error.log"
        stop "$work"
        exit 1
    fi
    echo "edges: varnish on 127.0.0.1:$vport (pid $(<"$vdir/varnishd.pid")), nginx on 127.0.0.1:$nport (pid $(<"$ndir/nginx.pid")), origin 127.0.0.1:$origin"
}

case ${1:-} in
    start) [[ $# -eq 6 ]] || usage; start "$2" "$3" "$4" "$5" "$6" ;;
    stop)  [[ $# -eq 2 ]] || usage; stop "$2" ;;
    *) usage ;;
esac
