// An SSE server on better-sse for sselink's interop tests. Scenario (shared
// with python_server.py): events 1-5, then the response ends (a server-side
// drop); resumed with Last-Event-ID, events 6-10 and the end again; after
// that, 204 No Content. Prints "PORT <n>" once listening on 127.0.0.1.
import http from "node:http";
import { createSession } from "better-sse";

const TOTAL = 10;
const DROP_AFTER = 5;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = http.createServer(async (req, res) => {
  const last = Number.parseInt(req.headers["last-event-id"] ?? "0", 10) || 0;
  const first = last + 1;
  if (first > TOTAL) {
    res.writeHead(204).end();
    return;
  }
  const session = await createSession(req, res, { retry: 100, keepAlive: null });
  const end = first <= DROP_AFTER ? DROP_AFTER : TOTAL;
  for (let n = first; n <= end; n++) {
    session.push({ n, server: "better-sse" }, "tick", String(n));
    await sleep(20);
  }
  res.end();
});

server.listen(0, "127.0.0.1", () => {
  console.log(`PORT ${server.address().port}`);
});
