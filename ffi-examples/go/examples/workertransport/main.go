// Command workertransport is R2, the worker transport
// (docs/reference-clients.md), rebuilt on sselink: it reads a session's
// events over SSE and writes results back over POST. What it reproduces,
// and the option behind each:
//
//   - client_event frames only (FilterEventType); the data is the JSON
//     Envelope, whose payload is printed as one JSON line (NDJSON); a frame
//     that is not JSON is logged and skipped.
//   - Resume from the highest sequence number seen, as from_sequence_num and
//     Last-Event-ID, replays dropped: ResumeFromHighestID, ResumeQuery,
//     DeduplicateIDs; a handover starts from a given sequence number
//     (LastEventID) and ends by printing the highest one.
//   - 45 s without a byte is a dead connection: IdleTimeout.
//   - 401, 403, 404 permanent, every other failure retried, retry: ignored:
//     RetryAllStatuses, PermanentStatus, ServerRetry(false).
//   - min(1 s * 2^(n-1), 30 s) plus or minus 25 %, reset by a successful
//     connection, given up after a 10-minute outage: ReconnectDelay,
//     JitterShape(JitterAround), Jitter(0.25), ResetOnOpen, TimeBudget.
//   - Auth headers fetched fresh before every connect and post, a Cookie
//     displacing Authorization: HeaderProvider.
//   - Results posted to the stream URL without /stream, retried on 429, 5xx
//     and network errors (10 attempts, 500 ms doubling to 8 s), the outcome
//     reported rather than lost: Post, PostAttempts, PostDelay.
//
// Usage: workertransport STREAM_URL [from=N] [max_payloads=N] [fast=1]
// (fast: 10 ms delays, for tests). Prints each payload, then
// {"handover":N}; exit 0 when the session ends or max_payloads is reached.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

// Envelope is the data of a client_event frame.
type Envelope struct {
	EventID     string         `json:"event_id"`
	SequenceNum uint64         `json:"sequence_num"`
	EventType   string         `json:"event_type"`
	Source      string         `json:"source"`
	Payload     map[string]any `json:"payload"`
	CreatedAt   string         `json:"created_at"`
}

var tokens atomic.Uint64

// authHeaders are the auth headers of the moment: a token refreshed on
// every call, or a Cookie (from WORKER_COOKIE) that displaces it.
func authHeaders() [][2]string {
	if cookie, ok := os.LookupEnv("WORKER_COOKIE"); ok {
		return [][2]string{{"Cookie", cookie}}
	}
	return [][2]string{{"Authorization", fmt.Sprintf("Bearer tok-%d-%d", os.Getpid(), tokens.Add(1))}}
}

func run(args []string, out, log io.Writer) int {
	if len(args) < 1 {
		fmt.Fprintln(log, "usage: workertransport STREAM_URL [from=N] [max_payloads=N] [fast=1]")
		return 2
	}
	setting := func(name string) uint64 {
		for _, a := range args[1:] {
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				n, _ := strconv.ParseUint(v, 10, 64)
				return n
			}
		}
		return 0
	}
	ms := func(normal, quick int) time.Duration {
		if setting("fast") == 1 {
			return time.Duration(quick) * time.Millisecond
		}
		return time.Duration(normal) * time.Millisecond
	}
	options := []sselink.Option{
		sselink.Header("anthropic-version", "2023-06-01"),
		sselink.Header("User-Agent", "worker-transport/1.0"),
		sselink.HeaderProvider(authHeaders),
		sselink.FilterEventType("client_event"),
		sselink.ResumeFromHighestID(true),
		sselink.ResumeQuery("from_sequence_num"),
		sselink.DeduplicateIDs(true),
		sselink.IdleTimeout(45 * time.Second),
		sselink.RetryAllStatuses(true),
		sselink.PermanentStatus(401), sselink.PermanentStatus(403), sselink.PermanentStatus(404),
		sselink.ServerRetry(false),
		sselink.ReconnectDelay(ms(1000, 10), ms(30000, 50)),
		sselink.JitterShape(sselink.JitterAround),
		sselink.Jitter(0.25),
		sselink.ResetOnOpen(true),
		sselink.TimeBudget(10 * time.Minute),
		sselink.PostAttempts(10),
		sselink.PostDelay(ms(500, 10), ms(8000, 50)),
	}
	from := setting("from")
	if from > 0 {
		options = append(options, sselink.LastEventID(strconv.FormatUint(from, 10)))
	}
	stream, err := sselink.Connect(context.Background(), args[0], options...)
	if err != nil {
		fmt.Fprintln(log, err)
		return 2
	}
	defer stream.Close()
	maxPayloads, payloads, highest, code := setting("max_payloads"), uint64(0), from, 0
	for item := range stream.Items() {
		switch item.Kind {
		case sselink.KindEvent:
			var envelope Envelope
			if err := json.Unmarshal([]byte(item.Event.Data), &envelope); err != nil {
				fmt.Fprintf(log, "skipped a client_event that is not a JSON envelope: %v\n", err)
				continue
			}
			if _, ok := envelope.Payload["type"].(string); !ok {
				fmt.Fprintf(log, "skipped event %s: its payload has no type\n", envelope.EventID)
				continue
			}
			payload, _ := json.Marshal(envelope.Payload)
			fmt.Fprintln(out, string(payload))
			highest = max(highest, envelope.SequenceNum)
			result, _ := json.Marshal(map[string]any{"ack": envelope.SequenceNum, "event_id": envelope.EventID})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			response, err := stream.Post(ctx, result)
			cancel()
			if err != nil {
				fmt.Fprintf(log, "post for %s failed: %v\n", envelope.EventID, err)
			} else if response.Status/100 != 2 {
				fmt.Fprintf(log, "post for %s: HTTP %d\n", envelope.EventID, response.Status)
			}
			if payloads++; payloads == maxPayloads {
				stream.Close()
			}
		case sselink.KindRetrying:
			fmt.Fprintf(log, "retrying in %v: %v\n", item.Delay, item.Err)
		case sselink.KindClosed:
			if item.Err != nil {
				fmt.Fprintf(log, "closed: %v\n", item.Err)
				code = 1
			}
		}
	}
	handover, _ := json.Marshal(map[string]uint64{"handover": highest})
	fmt.Fprintln(out, string(handover))
	return code
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
