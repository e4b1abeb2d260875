# Sourced by the C, C++ and install test scripts: starts test_server.py
# beside this file, writing its output to $1, stops it when the sourcing
# script exits, and sets $url to its base URL.
server_out=$1
python3 "$(dirname "${BASH_SOURCE[0]}")/test_server.py" > "$server_out" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
# The server prints its port once it listens. Wait for that line while the
# server lives, for up to 60 s (a loaded machine can take seconds to start
# Python); a server that exits first fails at once, with its output.
for _ in $(seq 1200); do
    grep -q '^PORT ' "$server_out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null ||
        { echo "FAILED: the test server exited before listening:" >&2; cat "$server_out" >&2; exit 1; }
    sleep 0.05
done
port=$(sed -n 's/^PORT //p' "$server_out")
[ -n "$port" ] || { echo "FAILED: the test server did not print its port within 60 s" >&2; exit 1; }
url="http://127.0.0.1:$port"
