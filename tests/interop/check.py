"""Checks one ssecat run of the interop scenario: events 1-10, each once, in
order, with ids matching the data, across the server-side drops, ending with
the server's 204 (exit status 0).

Usage: check.py NAME EXIT_STATUS STDOUT_FILE STDERR_FILE
"""
import json
import sys

name, status, out_path, err_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
errors = []
events = [json.loads(line) for line in open(out_path, encoding="utf-8") if line.strip()]
stderr = open(err_path, encoding="utf-8").read()
ids = [event["id"] for event in events]
if ids != [str(n) for n in range(1, 11)]:
    errors.append(f"ids {ids}, expected 1..10 once each in order")
for event in events:
    data = json.loads(event["data"])
    if event["type"] != "tick" or str(data["n"]) != event["id"]:
        errors.append(f"event {event} does not match its id")
if stderr.count("open: HTTP 200") != 2:
    errors.append("expected two connections (one drop and a resume)")
if "204" not in stderr.strip().splitlines()[-1]:
    errors.append("the run did not end with the server's 204")
if status != 0:
    errors.append(f"exit status {status}")
if errors:
    print(f"FAIL - {name}: " + "; ".join(errors))
    print(stderr)
    sys.exit(1)
print(f"ok - {name}: 10 events in order across the drop, resumed with Last-Event-ID")
