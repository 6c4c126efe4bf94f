#!/usr/bin/env bash
# Start or stop a Prism mock of Twilio's OpenAPI spec for the contract tests.
#
#   .ci/prism.sh start   # install into .prism/ if needed, serve on 127.0.0.1:4010, wait until up
#   .ci/prism.sh stop    # stop the server started by `start`
#   PRISM_URL=http://127.0.0.1:4010 pytest -m contract tests/contract
#
# Environment: TWILIO_OPENAPI_SPEC (default: <repo's parent>/shared/twilio/twilio_api_v2010.json),
# PRISM_PORT (default 4010), PRISM_WAIT_SECONDS (default 60).
set -euo pipefail

PRISM_VERSION="5.16.0"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRISM_DIR="$REPO/.prism"
PRISM_BIN="$PRISM_DIR/node_modules/.bin/prism"
PID_FILE="$PRISM_DIR/prism.pid"
LOG_FILE="$PRISM_DIR/prism.log"
HOST="127.0.0.1"
PORT="${PRISM_PORT:-4010}"
WAIT_SECONDS="${PRISM_WAIT_SECONDS:-60}"
SPEC="${TWILIO_OPENAPI_SPEC:-$(dirname "$REPO")/shared/twilio/twilio_api_v2010.json}"

running() {
    [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

answering() {
    # Any HTTP status (Prism answers 401/404 to this probe) means it is serving.
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$HOST:$PORT/" || true)"
    [[ -n "$code" && "$code" != "000" ]]
}

start() {
    if running && answering; then
        echo "prism already running (pid $(cat "$PID_FILE")) at http://$HOST:$PORT"
        return 0
    fi
    if answering; then
        echo "port $PORT is already taken by another server; set PRISM_PORT" >&2
        return 1
    fi
    if [[ ! -f "$SPEC" ]]; then
        echo "OpenAPI spec not found: $SPEC (set TWILIO_OPENAPI_SPEC)" >&2
        return 1
    fi
    mkdir -p "$PRISM_DIR"
    if [[ ! -x "$PRISM_BIN" ]]; then
        echo "installing @stoplight/prism-cli@$PRISM_VERSION into $PRISM_DIR"
        npm install --prefix "$PRISM_DIR" --no-audit --no-fund \
            "@stoplight/prism-cli@$PRISM_VERSION" >"$PRISM_DIR/install.log" 2>&1 \
            || { cat "$PRISM_DIR/install.log" >&2; return 1; }
    fi
    # setsid: its own process group, so `stop` can end prism and any child it spawns.
    setsid "$PRISM_BIN" mock "$SPEC" -h "$HOST" -p "$PORT" >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    local deadline=$((SECONDS + WAIT_SECONDS))
    until answering; do
        if ! running; then
            echo "prism exited during startup; log follows" >&2
            tail -n 40 "$LOG_FILE" >&2
            rm -f "$PID_FILE"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "prism did not answer within ${WAIT_SECONDS}s; log follows" >&2
            tail -n 40 "$LOG_FILE" >&2
            stop
            return 1
        fi
        sleep 0.5
    done
    echo "prism running (pid $(cat "$PID_FILE")) at http://$HOST:$PORT; log: $LOG_FILE"
}

stop() {
    if ! running; then
        rm -f "$PID_FILE"
        echo "prism not running"
        return 0
    fi
    local pid
    pid="$(cat "$PID_FILE")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    echo "prism stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
