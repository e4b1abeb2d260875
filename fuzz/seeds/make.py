#!/usr/bin/env python3
"""Writes the starting corpus of each fuzz target into fuzz/corpus/<target>/.

Run from anywhere: python3 fuzz/seeds/make.py. AFL++ grows the corpus from
these; the grown corpus is minimised with afl-cmin and committed."""
import gzip
import os
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "corpus"


def write(target, name, data):
    folder = root / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


# parser: a control byte (bit 0: dispatch at EOF; the rest seeds the chunking), then the body.
bodies = {
    "simple": b"data: hello\n\n",
    "fields": b"event: tick\nid: 7\nretry: 1500\ndata: a\ndata: b\n\n",
    "crlf": b"data: x\r\n\r\ndata: y\r\rdata: z\n\n",
    "comment": b": keep-alive\n\n:\n\ndata\n\n",
    "bom": b"\xef\xbb\xbfdata: after bom\n\n",
    "utf8": "data: €é😀\nid: ü\n\n".encode(),
    "invalid": b"data: \xff\xfe\xe2\x82\n\n",
    "nul-id": b"id: a\x00b\ndata: x\n\nid\n\n",
    "retry": b"retry: 99999999999999999999\nretry: 12a\nretry:\n\n",
    "noeol": b"data: unfinished",
    "nocolon": b"data\nevent\nid\n\n",
}
for i, (name, body) in enumerate(bodies.items()):
    write("parser", name, bytes([i * 7 % 256]) + body)

# response_head: a control byte (options), then everything the server sends.
sse = b"Content-Type: text/event-stream\r\n"
gz = gzip.compress(b"data: zipped\n\n")
heads = {
    "ok": b"HTTP/1.1 200 OK\r\n" + sse + b"\r\ndata: hi\n\n",
    "chunked": b"HTTP/1.1 200 OK\r\n" + sse + b"Transfer-Encoding: chunked\r\n\r\n5\r\ndata:\r\n8\r\n hello\n\n\r\n0\r\n\r\n",
    "length": b"HTTP/1.1 200 OK\r\n" + sse + b"Content-Length: 10\r\n\r\ndata: x\n\n",
    "gzip": b"HTTP/1.1 200 OK\r\n" + sse + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gz) + gz,
    "redirect": b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /other?q=1\r\nContent-Length: 0\r\n\r\n",
    "retry-after": b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\nContent-Length: 4\r\n\r\nbusy",
    "429": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\n\r\n",
    "204": b"HTTP/1.1 204 No Content\r\n\r\n",
    "html": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html>",
    "params": b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream ; charset=UTF-8\r\n\r\nretry: 0\ndata: y\n\n",
    "http10": b"HTTP/1.0 200 OK\r\n" + sse + b"\r\ndata: old\n\n",
    "folded": b"HTTP/1.1 200 OK\r\n" + sse + b"X-Folded: a\r\n b\r\n\r\n",
}
for i, (name, data) in enumerate(heads.items()):
    write("response_head", name, bytes([i * 5 % 64]) + data)


# c_args: a control byte (3: connect), the URL, then operations (opcode, two
# length-prefixed arguments).
def arg(b):
    return bytes([len(b)]) + b


def op(code, a=b"", b=b""):
    return bytes([code]) + arg(a) + arg(b)


url = arg(b"http://127.0.0.1:1/events?a=1")
ops = {
    "headers": op(0, b"Authorization", b"Bearer x") + op(1, b"X-Key", b"secret") + op(2, b"q", b"v w"),
    "method": op(3, b"POST") + op(4, b'{"a":1}') + op(5, b"42") + op(6, b"since"),
    "bad-header": op(0, b"Content-Length", b"5") + op(0, b"X\x00Y", b"v") + op(0, b"X", b"a\r\nb") + op(15, b"\x00" * 40),
    "bad-method": op(3, b"GE T") + op(3, b"\xff") + op(14, b"abc") + op(15, b"\x00" * 3),
    "proxy": op(11, b"http://user:pw@127.0.0.1:1") + op(11, b"socks5://x") + op(12, b"localhost,.example.com"),
    "certs": op(9, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") + op(10, b"\x30\x03\x02\x01\x01", b"junk"),
    "misc": op(7, b"tick") + op(8, b"http://127.0.0.1:1/post") + op(13, b"ab", b"\x3f") + op(15, b""),
}
for i, (name, data) in enumerate(ops.items()):
    write("c_args", name, bytes([i % 4]) + url + data)
write("c_args", "bad-url", b"\x03" + arg(b"ht tp://\xff") + op(0, b"A", b"B"))
write("c_args", "ipv6-url", b"\x03" + arg(b"https://[::1]:8443/x#frag") + op(3, b"GET"))
