#!/usr/bin/env bash
# Interop: ssecat (so sselink) against SSE servers no one here wrote, each
# checked by check.py across a server-side drop: sse-starlette under uvicorn
# (PyPI), better-sse on Node.js (npm), and the Python server behind nginx
# (Debian) with proxy_buffering off, once plain and once with gzip on (ssecat
# --compressed), where each event must still arrive as soon as it is sent.
# Installs what it needs; .ci/test runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/target/interop"
mkdir -p "$work"
cd "$root"

fail() { echo "FAILED: $*" >&2; exit 1; }
for tool in python3 node npm nginx; do
    command -v "$tool" >/dev/null || fail "$tool is missing (bash .ci/test installs it)"
done

echo "-- installing the servers' packages"
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
npm ci --prefix "$here/node" --no-audit --no-fund --silent
cargo build --release -p ssecat --locked
ssecat="$root/target/release/ssecat"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for_port() {
    for _ in $(seq 200); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "$2 did not start listening on port $1"
}

echo "-- starting sse-starlette under uvicorn"
python_port=$(free_port)
"$work/venv/bin/python" "$here/python_server.py" "$python_port" > "$work/python.log" 2>&1 &
pids+=($!)
wait_for_port "$python_port" "uvicorn"

echo "-- starting better-sse on Node.js"
node "$here/node/server.mjs" > "$work/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q '^PORT ' "$work/node.log" && break; sleep 0.05; done
node_port=$(sed -n 's/^PORT //p' "$work/node.log")
[ -n "$node_port" ] || fail "the Node.js server did not start: $(cat "$work/node.log")"

echo "-- starting nginx in front of uvicorn"
nginx_port=$(free_port)
gzip_port=$(free_port)
mkdir -p "$work/nginx"
rm -f "$work/nginx/gzip.log"
sed -e "s|@PORT@|$nginx_port|" -e "s|@GZIP_PORT@|$gzip_port|" -e "s|@UPSTREAM@|$python_port|" -e "s|@DIR@|$work/nginx|" \
    "$here/nginx.conf.in" > "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
pids+=($!)
wait_for_port "$nginx_port" "nginx"

passed=0
failed=0
for target in "sse-starlette under uvicorn|$python_port|" "better-sse on Node.js|$node_port|" \
    "sse-starlette behind nginx|$nginx_port|" "sse-starlette behind nginx with gzip|$gzip_port|--compressed"; do
    IFS='|' read -r name port flags <<< "$target"
    status=0
    # shellcheck disable=SC2086
    timeout 60 "$ssecat" --idle-timeout 10 --reconnect-delay 50 --max-reconnect-delay 500 $flags \
        "http://127.0.0.1:$port/events" > "$work/out.jsonl" 2> "$work/err.txt" || status=$?
    if python3 "$here/check.py" "$name" "$status" "$work/out.jsonl" "$work/err.txt"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done

# Through gzip, an event must come when it is sent, not when the response
# ends: /hold sends one event and then nothing for a minute.
status=0
timeout 20 "$ssecat" --compressed --max-events 1 "http://127.0.0.1:$gzip_port/hold" \
    > "$work/out.jsonl" 2> "$work/err.txt" || status=$?
if [ "$status" -eq 0 ] && [ "$(wc -l < "$work/out.jsonl")" -eq 1 ] \
    && grep -q '^/hold gzip$' "$work/nginx/gzip.log" && grep -q '^/events gzip$' "$work/nginx/gzip.log"; then
    echo "ok - nginx with gzip: compressed, and the held event arrived at once"
    passed=$((passed + 1))
else
    echo "FAIL - nginx with gzip: exit $status, $(wc -l < "$work/out.jsonl") events, log: $(cat "$work/nginx/gzip.log" 2>/dev/null)"
    cat "$work/err.txt"
    failed=$((failed + 1))
fi
echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
