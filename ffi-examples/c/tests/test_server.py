#!/usr/bin/env python3
"""Scripted SSE server on 127.0.0.1 for the C tests and examples.

Prints "PORT <n>" on its first line, then serves until killed. Routes:
  /events?n=N      N events (id i, data "event i"), then closes
  /ticker?n=N      N events 20 ms apart, then closes
  /silent          the head, then nothing until the client closes
  /nul             one event whose data holds NUL bytes, then waits
  /big             one 4 MiB event, then waits
  /resume          without Last-Event-ID: id 5 and closes; with it: echoes it
  /nocontent       204
  /unauthorized    401 with a JSON body
  /flaky?key=K     (POST) 429 with Retry-After: 0 on the first post of key K,
                   then 200 echoing the body
  /busy            503 with Retry-After: 2 and the body "busy"
  /cut             200 announcing 100 body bytes, sending 10, then closing
  /redirect        302 to /events?n=1&token=LOCATIONSECRET (any method)
  /token           401 unless Authorization holds a token never seen before;
                   else one event echoing it, then closes
  /statuses?key=K&s=429,503,201
                   (POST) the statuses in turn, one per request of key K
                   (429 and 503 with Retry-After: 0), then the last again;
                   a 2xx echoes the body
  /once?key=K&n=N  401 without an Authorization header; else N events on
                   the first request of key K, then closes; 204 after that
  /raw?hex=H       the head, then the bytes H (hex), then waits
"""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


FLAKY_KEYS = set()
STATUS_COUNTS = {}
ONCE_KEYS = set()
SEEN_TOKENS = set()
SEEN_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def head(self, status=200, content_type="text/event-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Stream", "test-server")
        self.send_header("Connection", "close")
        self.end_headers()

    def send(self, text):
        self.wfile.write(text if isinstance(text, bytes) else text.encode())
        self.wfile.flush()

    def wait_for_client_close(self):
        try:
            while self.rfile.read(1):
                pass
        except OSError:
            pass

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        n = int(query.get("n", ["3"])[0])
        try:
            if url.path == "/events":
                self.head()
                self.send("".join(f"id: {i}\ndata: event {i}\n\n" for i in range(n)))
            elif url.path == "/ticker":
                self.head()
                for i in range(n):
                    self.send(f"id: {i}\ndata: tick {i}\n\n")
                    time.sleep(0.02)
            elif url.path == "/silent":
                self.head()
                self.wait_for_client_close()
            elif url.path == "/nul":
                self.head()
                self.send(b"data: a\x00b\n\n")
                self.wait_for_client_close()
            elif url.path == "/big":
                self.head()
                self.send(b"data: " + b"x" * (4 << 20) + b"\n\n")
                self.wait_for_client_close()
            elif url.path == "/resume":
                self.head()
                last = self.headers.get("Last-Event-ID")
                if last is None:
                    self.send("id: 5\ndata: first\n\n")
                else:
                    self.send(f"data: last-event-id={last}\n\n")
                    self.wait_for_client_close()
            elif url.path == "/nocontent":
                self.send_response(204)
                self.send_header("Connection", "close")
                self.end_headers()
            elif url.path == "/flaky":
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                key = query.get("key", [""])[0]
                with SEEN_LOCK:
                    first = key not in FLAKY_KEYS
                    FLAKY_KEYS.add(key)
                if first:
                    self.send_response(429)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "9")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.send(b"slow down")
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.send(body)
            elif url.path == "/busy":
                length = int(self.headers.get("Content-Length", "0"))
                if length:
                    self.rfile.read(length)
                self.send_response(503)
                self.send_header("Retry-After", "2")
                self.send_header("Content-Length", "4")
                self.send_header("Connection", "close")
                self.end_headers()
                self.send(b"busy")
            elif url.path == "/cut":
                length = int(self.headers.get("Content-Length", "0"))
                if length:
                    self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.send_header("Connection", "close")
                self.end_headers()
                self.send(b"0123456789")
            elif url.path == "/statuses":
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                key = query.get("key", [""])[0]
                statuses = [int(v) for v in query.get("s", ["200"])[0].split(",")]
                with SEEN_LOCK:
                    seen = STATUS_COUNTS.get(key, 0)
                    STATUS_COUNTS[key] = seen + 1
                status = statuses[min(seen, len(statuses) - 1)]
                answer = body if 200 <= status < 300 else f"status {status}".encode()
                self.send_response(status)
                if status in (429, 503):
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.send(answer)
            elif url.path == "/raw":
                self.head()
                self.send(bytes.fromhex(query.get("hex", [""])[0]))
                self.wait_for_client_close()
            elif url.path == "/once":
                key = query.get("key", [""])[0]
                with SEEN_LOCK:
                    first = key not in ONCE_KEYS
                    ONCE_KEYS.add(key)
                if not self.headers.get("Authorization"):
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                elif first:
                    self.head()
                    self.send("".join(f"id: {i}\ndata: event {i}\n\n" for i in range(n)))
                else:
                    self.send_response(204)
                    self.send_header("Connection", "close")
                    self.end_headers()
            elif url.path == "/redirect":
                length = int(self.headers.get("Content-Length", "0"))
                if length:
                    self.rfile.read(length)
                self.send_response(302)
                self.send_header("Location", "/events?n=1&token=LOCATIONSECRET")
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
            elif url.path == "/token":
                token = self.headers.get("Authorization", "")
                with SEEN_LOCK:
                    fresh = token.startswith("Bearer ") and token not in SEEN_TOKENS
                    SEEN_TOKENS.add(token)
                if fresh:
                    self.head()
                    self.send(f"data: {token}\n\n")
                else:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
            elif url.path == "/unauthorized":
                body = b'{"error":"bad token"}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.send(body)
            else:
                self.send_error(404)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    do_POST = do_GET


def main():
    # A deep listen backlog: the Swift tests open hundreds of streams at once.
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()  # until the test runner kills it
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
