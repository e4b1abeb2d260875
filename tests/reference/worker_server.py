#!/usr/bin/env python3
"""A loopback stand-in for the session ingress R2 talks to
(docs/reference-clients.md), for the reference-client tests in Rust and Go.

GET /v2/session_ingress/session/{id}/events/stream
  - 401 unless Authorization is "Bearer tok-<n>" with a token this session
    has not seen: a client that does not refresh its token before every
    reconnect is refused (a stale token), one that does is served;
  - client_event frames with ids = sequence numbers 1..20, keepalive
    comments, a frame of another type (dropped by R2) and a client_event
    whose data is not JSON (skipped); the first connection drops after
    sequence 8;
  - a reconnect resumes from from_sequence_num (and Last-Event-ID, which
    must agree) but deliberately replays the two before it;
  - once every sequence number was sent, 204.
POST /v2/session_ingress/session/{id}/events
  - 429 and then 503 for the first two posts of each body, then 201; the
    bodies accepted are listed by GET /accepted/{id} (one JSON per line).
Prints "PORT <n>" first; serves until killed.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOTAL = 20
DROP_AFTER = 8
STATE = {}
LOCK = threading.Lock()


def session_state(session):
    return STATE.setdefault(session, {"tokens": set(), "connections": 0, "tries": {}, "accepted": []})


def envelope(n):
    return {
        "event_id": f"ev-{n}",
        "sequence_num": n,
        "event_type": "worker_update",
        "source": "ingress",
        "payload": {"type": "step", "n": n},
        "created_at": f"2026-11-22T00:00:{n:02d}Z",
    }


class Ingress(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def session(self):
        parts = urlparse(self.path).path.split("/")
        if parts[1:4] == ["v2", "session_ingress", "session"] and len(parts) >= 6 and parts[5] == "events":
            return parts[4], parts[6:]
        return None, None

    def do_GET(self):
        url = urlparse(self.path)
        if url.path.startswith("/accepted/"):
            with LOCK:
                lines = session_state(url.path.split("/")[2])["accepted"]
                body = "".join(line + "\n" for line in lines).encode()
            return self.reply(200, body, "application/x-ndjson")
        session, rest = self.session()
        if session is None or rest != ["stream"]:
            return self.reply(404, b"")
        token = self.headers.get("Authorization", "")
        query = parse_qs(url.query)
        with LOCK:
            state = session_state(session)
            fresh = token.startswith("Bearer tok-") and token not in state["tokens"]
            state["tokens"].add(token)
            state["connections"] += 1
            first = state["connections"] == 1
        if not fresh:
            return self.reply(401, b'{"error":"stale or missing token"}')
        resume = int(query.get("from_sequence_num", ["0"])[0])
        last = self.headers.get("Last-Event-ID")
        if resume and last != str(resume):
            return self.reply(400, b'{"error":"from_sequence_num and Last-Event-ID disagree"}')
        if resume >= TOTAL:
            return self.reply(204, b"")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        start = max(1, resume - 1)  # replays two already seen
        end = DROP_AFTER if first else TOTAL
        self.write(": keepalive\n\n")
        for n in range(start, end + 1):
            if n == 4:
                self.write("event: heartbeat\ndata: {}\n\n")  # another type: dropped
                self.write("event: client_event\ndata: not json\n\n")  # skipped
            self.write(f"id: {n}\nevent: client_event\ndata: {json.dumps(envelope(n))}\n\n")
            if n % 5 == 0:
                self.write(": keepalive\n\n")
        self.close_connection = True

    def do_POST(self):
        session, rest = self.session()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        if session is None or rest != [] or not self.headers.get("Authorization", "").startswith("Bearer tok-"):
            return self.reply(404 if session is None else 401, b"")
        with LOCK:
            state = session_state(session)
            tries = state["tries"][body] = state["tries"].get(body, 0) + 1
            if tries > 2 and body not in state["accepted"]:
                state["accepted"].append(body)
        if tries == 1:
            return self.reply(429, b"", extra=[("Retry-After", "0")])
        if tries == 2:
            return self.reply(503, b"")
        return self.reply(201, b'{"ok":true}', "application/json")

    def write(self, text):
        self.wfile.write(text.encode())
        self.wfile.flush()

    def reply(self, status, body, content_type="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingress)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
