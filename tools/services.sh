#!/usr/bin/env bash
# Test services on 127.0.0.1 only: redis-server (no persistence), dynalite (DynamoDB) and fauxqs
# (SNS/SQS), each on a free port.
#
#   tools/services.sh start STATE_DIR   starts all three; writes STATE_DIR/env (export lines:
#                                       WP_TEST_REDIS_URL, WP_TEST_REDIS_PORT, WP_TEST_DYNAMODB_ENDPOINT,
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

    # redis-server: loopback only, no RDB/AOF persistence, state in the state dir.
    local redis_port="" attempt
    for attempt in 1 2 3 4 5; do
        redis_port=$(free_port)
        if redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
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
    log "redis-server on 127.0.0.1:$redis_port"

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
export WP_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$dynamo_port
export WP_TEST_FAUXQS_ENDPOINT=http://127.0.0.1:$fauxqs_port
export WP_TEST_NODE_MODULES=$here/node_modules
ENV
}

stop() {
    local f pid
    if [ -f "$state/redis.pid" ]; then
        pid=$(cat "$state/redis.pid"); kill "$pid" 2>/dev/null || true
    fi
    for f in dynalite fauxqs; do
        if [ -f "$state/$f.pid" ]; then
            pid=$(cat "$state/$f.pid"); kill "$pid" 2>/dev/null || true
        fi
    done
    # wait briefly so ports are free for the next run
    for f in redis dynalite fauxqs; do
        if [ -f "$state/$f.pid" ]; then
            pid=$(cat "$state/$f.pid")
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$state/$f.pid"
        fi
    done
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: services.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
