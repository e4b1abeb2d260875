#!/usr/bin/env python3
"""A loopback stand-in for the collaboration hub R1 observes
(docs/reference-clients.md), for the reference-client tests in Rust and Go.

GET /api/hub/session/{id}/events?subscribe=..&api_key=..&org_id=..
  - 401 with a JSON body unless api_key is "hub-key" and org_id is "org-1";
  - the session's script: events 1..12 of the types R1 handles (snapshot,
    hydration, presence, broadcast, message) and of one it ignores (noise),
    one message whose data is not JSON, and message events whose payload
    type the subscribe patterns (comma-separated, `*` suffix) filter;
  - the first connection drops after event 5; a reconnect resumes after its
    Last-Event-ID; once every event was sent, 204 ends the session.
Prints "PORT <n>" first; serves until killed.
"""
import json
import sys
import threading
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SCRIPT = [
    ("snapshot", {"tasks": 2}),
    ("hydration", {"history": ["a", "b"]}),
    ("message", {"type": "task_created", "task": "t1"}),
    ("noise", {"ignored": True}),
    ("message", {"type": "chat_message", "text": "hi"}),  # filtered by subscribe
    ("presence", {"user": "u1", "online": True}),
    ("message", "not json"),
    ("broadcast", {"text": "deploy at 5"}),
    ("message", {"type": "agent_joined", "agent": "a1"}),
    ("message", {"type": "task_done", "task": "t1"}),
    ("presence", {"user": "u1", "online": False}),
    ("snapshot", {"tasks": 1}),
]
DROP_AFTER = 5
CONNECTIONS = {}
LOCK = threading.Lock()


class Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        parts = url.path.split("/")
        if len(parts) != 6 or parts[1:4] != ["api", "hub", "session"] or parts[5] != "events":
            return self.reply(404, b'{"error":"no such route"}')
        session = parts[4]
        if query.get("api_key") != ["hub-key"] or query.get("org_id") != ["org-1"]:
            return self.reply(401, b'{"error":"invalid api key"}')
        patterns = [p for p in query.get("subscribe", [""])[0].split(",") if p]
        last = self.headers.get("Last-Event-ID", "")
        start = int(last) if last.isdigit() else 0
        with LOCK:
            CONNECTIONS[session] = CONNECTIONS.get(session, 0) + 1
            first_connection = CONNECTIONS[session] == 1
        if start >= len(SCRIPT):
            return self.reply(204, b"")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        end = DROP_AFTER if first_connection else len(SCRIPT)
        for n in range(start + 1, end + 1):
            kind, payload = SCRIPT[n - 1]
            if kind == "message" and isinstance(payload, dict) and patterns:
                if not any(fnmatch(payload["type"], p) for p in patterns):
                    self.write(f"id: {n}\n\n")  # skipped, but the id moves on
                    continue
            data = payload if isinstance(payload, str) else json.dumps(payload)
            self.write(f"id: {n}\nevent: {kind}\ndata: {data}\n\n")
        self.close_connection = True

    def write(self, text):
        self.wfile.write(text.encode())
        self.wfile.flush()

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
