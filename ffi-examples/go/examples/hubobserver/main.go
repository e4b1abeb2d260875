// Command hubobserver is R1, the hub session observer
// (docs/reference-clients.md), rebuilt on sselink. What it reproduces, and
// the option behind each:
//
//   - URL {base}/api/hub/session/{id}/events with subscribe, api_key and
//     org_id query parameters, each only when set: Query.
//   - Five event types handled, every other ignored in the library:
//     FilterEventType. Data is JSON; the named types get their type merged
//     in, message carries its own: HubEvent. Data that is not a JSON object
//     with a type is a parse_error, reported while the stream goes on.
//   - A 1,000-event buffer that drops the oldest: Capacity, Overflow.
//   - Reconnect with 1,000 ms * 2^attempts * [0.5, 1), capped at 30 s, the
//     count reset when a connection opens, at most 10 attempts:
//     ReconnectDelay, JitterShape(JitterScale), ResetOnOpen, MaxAttempts.
//   - States connecting, connected, reconnecting, closed, and the error
//     codes connection_failed, auth_failed, max_reconnects_exceeded,
//     parse_error, each with the session id: mapped from sselink's items.
//
// Usage: hubobserver BASE SESSION [subscribe=..] [api_key=..] [org_id=..]
// [initial_ms=1000] [max_ms=30000]. One JSON line per state change, event
// or error; exit 0 when the hub ends the session, 1 on an error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

// HubEvent is what the hub sends, typed: its kind, and the JSON object with
// its type.
type HubEvent struct {
	Kind string         `json:"kind"`
	Body map[string]any `json:"body"`
}

var types = []string{"snapshot", "hydration", "presence", "broadcast", "message"}

// decode reads one event as R1 does.
func decode(ev sselink.Event) (HubEvent, error) {
	var body map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &body); err != nil || body == nil {
		return HubEvent{}, fmt.Errorf("data is not a JSON object: %v", err)
	}
	if ev.Type == "message" {
		if _, ok := body["type"].(string); !ok {
			return HubEvent{}, errors.New("a message without a string type")
		}
	} else {
		body["type"] = ev.Type
	}
	return HubEvent{Kind: ev.Type, Body: body}, nil
}

// errorCode is R1's code for how the stream closed.
func errorCode(item sselink.Item) string {
	switch {
	case errors.Is(item.Err, sselink.ErrAttemptsExhausted):
		return "max_reconnects_exceeded"
	case item.Status == 401 || item.Status == 403:
		return "auth_failed"
	}
	return "connection_failed"
}

func run(args []string, out io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hubobserver BASE SESSION [subscribe=..] [api_key=..] [org_id=..] [initial_ms=..] [max_ms=..]")
		return 2
	}
	base, session := strings.TrimRight(args[0], "/"), args[1]
	setting := func(name string) string {
		for _, a := range args[2:] {
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				return v
			}
		}
		return ""
	}
	ms := func(name string, def int) time.Duration {
		if n, err := strconv.Atoi(setting(name)); err == nil {
			return time.Duration(n) * time.Millisecond
		}
		return time.Duration(def) * time.Millisecond
	}
	options := []sselink.Option{
		sselink.ReconnectDelay(ms("initial_ms", 1000), ms("max_ms", 30000)),
		sselink.JitterShape(sselink.JitterScale),
		sselink.ResetOnOpen(true),
		sselink.MaxAttempts(10),
		sselink.Capacity(1000),
		sselink.Overflow(sselink.OverflowDropOldest),
	}
	for _, t := range types {
		options = append(options, sselink.FilterEventType(t))
	}
	for _, name := range []string{"subscribe", "api_key", "org_id"} {
		if v := setting(name); v != "" {
			options = append(options, sselink.Query(name, v))
		}
	}
	stream, err := sselink.Connect(context.Background(),
		base+"/api/hub/session/"+url.PathEscape(session)+"/events", options...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer stream.Close()
	print := func(line map[string]any) {
		b, _ := json.Marshal(line)
		fmt.Fprintln(out, string(b))
	}
	state := ""
	setState := func(next string) {
		if state != next {
			state = next
			print(map[string]any{"state": next})
		}
	}
	for item := range stream.Items() {
		switch item.Kind {
		case sselink.KindConnecting:
			if item.Attempt == 0 {
				setState("connecting")
			} else {
				setState("reconnecting")
			}
		case sselink.KindRetrying:
			setState("reconnecting")
		case sselink.KindOpen:
			setState("connected")
		case sselink.KindEvent:
			if typed, err := decode(item.Event); err == nil {
				print(map[string]any{"id": item.Event.ID, "event": typed})
			} else {
				print(map[string]any{"error": "parse_error", "message": err.Error(), "session": session, "id": item.Event.ID})
			}
		case sselink.KindClosed:
			setState("closed")
			if item.Err != nil {
				print(map[string]any{"error": errorCode(item), "message": item.Err.Error(), "session": session})
				return 1
			}
		}
	}
	return 0
}

func main() { os.Exit(run(os.Args[1:], os.Stdout)) }
