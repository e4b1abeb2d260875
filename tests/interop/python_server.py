"""An SSE server on sse-starlette under uvicorn, for sselink's interop tests.

Scenario (shared with node/server.mjs): events 1-5, then the response ends
(a server-side drop); resumed with Last-Event-ID, events 6-10 and the end
again; after that, 204 No Content. /hold sends one event and then nothing
for a minute.

Run: python python_server.py PORT
"""
import asyncio
import json
import sys

import uvicorn
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

TOTAL = 10
DROP_AFTER = 5


async def events(request):
    last = request.headers.get("last-event-id", "")
    first = int(last) + 1 if last.isdigit() else 1
    if first > TOTAL:
        return Response(status_code=204)
    end = DROP_AFTER if first <= DROP_AFTER else TOTAL

    async def stream():
        for n in range(first, end + 1):
            yield {"id": str(n), "event": "tick", "data": json.dumps({"n": n, "server": "sse-starlette"}), "retry": 100}
            await asyncio.sleep(0.02)

    return EventSourceResponse(stream(), ping=60)


async def hold(request):
    """One event, then nothing for a minute: a proxy that buffers (gzip or
    otherwise) would sit on the event."""

    async def stream():
        yield {"id": "1", "event": "tick", "data": json.dumps({"n": 1, "server": "sse-starlette"})}
        await asyncio.sleep(60)

    return EventSourceResponse(stream(), ping=60)


app = Starlette(routes=[Route("/events", events), Route("/hold", hold)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
