#!/usr/bin/env bash
# Test services on 127.0.0.1 only: redis-server (no persistence), dynalite (DynamoDB) and fauxqs
# (SNS/SQS), each on a free port.
#
#   tools/services.sh start STATE_DIR   starts all three; writes STATE_DIR/env (export lines:
#                                       WP_TEST_REDIS_URL, WP_TEST_REDIS_PORT, WP_TEST_REDIS_TLS_URL
#                                       (rediss://, with the CA and client certificate),
#                                       WP_TEST_REDIS_TLS_DIR (the certificates), WP_TEST_DYNAMODB_ENDPOINT,
#                                       WP_TEST_FAUXQS_ENDPOINT, AWS_* test settings) and pid files.
#                                       Exits non-zero if any service fails to start.
#   tools/services.sh stop STATE_DIR    stops whatever start started.
#
# npm modules come from tools/package-lock.json (npm ci), installed when missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:?usage: services.sh start|stop STATE_DIR}
state=${2:?usage: services.sh start|stop STATE_DIR}

log() { echo "services: $*" >&2; }

wait_for_port_line() {  # file pid name -> prints port
    local file=$1 pid=$2 name=$3
    for _ in $(seq 1 300); do
        if grep -q '^PORT ' "$file" 2>/dev/null; then
            sed -n 's/^PORT \([0-9]*\)$/\1/p' "$file" | head -n1
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited before it listened:"; cat "$file" >&2; return 1
        fi
        sleep 0.1
    done
    log "$name did not start within 30 s:"; cat "$file" >&2; return 1
}

# make_tls_certificates DIR: a test CA (ca.crt), a server certificate for DNS:localhost only
# (server.crt/.key), a client certificate (client.crt/.key), and an unrelated CA (other-ca.crt) that
# signed none of them. EC P-256 keys: quick to make.
make_tls_certificates() {
    local dir=$1
    mkdir -p "$dir"
    (
        cd "$dir"
        local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
        openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj /CN=wp-test-ca
        openssl req -x509 "${ec[@]}" -keyout other-ca.key -out other-ca.crt -days 2 -subj /CN=wp-other-ca
        printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
        printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >client.ext
        local who
        for who in server client; do
            openssl req "${ec[@]}" -keyout "$who.key" -out "$who.csr" -subj "/CN=wp-test-$who"
            openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -extfile "$who.ext" -out "$who.crt"
        done
        chmod 600 ./*.key
    ) >"$dir/openssl.log" 2>&1 || { log "openssl failed to make the TLS test certificates:"; cat "$dir/openssl.log" >&2; return 1; }
}

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

start() {
    mkdir -p "$state"
    if [ ! -d "$here/node_modules/dynalite" ] || [ ! -d "$here/node_modules/fauxqs" ] || \
       [ ! -d "$here/node_modules/@mapbox/watchbot-progress" ] || [ ! -d "$here/node_modules/puppeteer-core" ]; then
        log "installing the pinned npm test services (npm ci in tools/)"
        (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi

    # Certificates for Redis over TLS, made now (nothing secret is kept in the repository).
    make_tls_certificates "$state/tls"

    # redis-server: loopback only, no RDB/AOF persistence, state in the state dir. One server with a
    # plain port and a TLS port (tls-port: the certificate names only DNS:localhost, and clients
    # must present a certificate of the test CA).
    local redis_port="" redis_tls_port="" attempt
    for attempt in 1 2 3 4 5; do
        redis_port=$(free_port)
        redis_tls_port=$(free_port)
        [ "$redis_tls_port" != "$redis_port" ] || continue
        if redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
            --tls-port "$redis_tls_port" --tls-cert-file "$state/tls/server.crt" \
            --tls-key-file "$state/tls/server.key" --tls-ca-cert-file "$state/tls/ca.crt" \
            --tls-auth-clients yes \
            --daemonize yes --pidfile "$state/redis.pid" --dir "$state" \
            --logfile "$state/redis.log" >/dev/null 2>&1; then
            local ok=""
            for _ in $(seq 1 100); do
                if redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; then ok=1; break; fi
                sleep 0.05
            done
            [ -n "$ok" ] && break
        fi
        redis_port=""
    done
    [ -n "$redis_port" ] || { log "redis-server failed to start"; cat "$state/redis.log" >&2 2>/dev/null; return 1; }
    log "redis-server on 127.0.0.1:$redis_port, TLS on localhost:$redis_tls_port"

    node "$here/start-dynalite.js" >"$state/dynalite.out" 2>&1 &
    echo $! >"$state/dynalite.pid"
    node "$here/start-fauxqs.mjs" >"$state/fauxqs.out" 2>&1 &
    echo $! >"$state/fauxqs.pid"
    local dynamo_port fauxqs_port
    dynamo_port=$(wait_for_port_line "$state/dynalite.out" "$(cat "$state/dynalite.pid")" dynalite)
    fauxqs_port=$(wait_for_port_line "$state/fauxqs.out" "$(cat "$state/fauxqs.pid")" fauxqs)
    log "dynalite on 127.0.0.1:$dynamo_port, fauxqs on 127.0.0.1:$fauxqs_port"

    cat >"$state/env" <<ENV
export WP_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0
export WP_TEST_REDIS_PORT=$redis_port
export WP_TEST_REDIS_PIDFILE=$state/redis.pid
export WP_TEST_REDIS_TLS_URL='rediss://localhost:$redis_tls_port/0?cacert=$state/tls/ca.crt&cert=$state/tls/client.crt&key=$state/tls/client.key'
export WP_TEST_REDIS_TLS_DIR=$state/tls
export WP_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$dynamo_port
export WP_TEST_FAUXQS_ENDPOINT=http://127.0.0.1:$fauxqs_port
export WP_TEST_NODE_MODULES=$here/node_modules
ENV
}

stop() {
    # The pids are read once, before any is stopped: redis-server removes its pidfile as it exits.
    local f pid pids=()
    for f in redis dynalite fauxqs; do
        pid=$(cat "$state/$f.pid" 2>/dev/null) && [ -n "$pid" ] && pids+=("$pid")
        rm -f "$state/$f.pid"
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    kill "${pids[@]}" 2>/dev/null || true
    # wait briefly so ports are free for the next run
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: services.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
