package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/sselink/sselink/ffi-examples/go/internal/refservice"
)

func lines(t *testing.T, out *bytes.Buffer) []map[string]any {
	var all []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		all = append(all, v)
	}
	return all
}

func TestEverySubscribedEventOnceAcrossTheDrop(t *testing.T) {
	base := refservice.Start(t, "hub_server.py")
	var out bytes.Buffer
	if code := run([]string{base + "/", "s1", "subscribe=task_*,agent_*", "api_key=hub-key", "org_id=org-1", "initial_ms=10"}, &out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	var ids, kinds, states []string
	parseErrors := 0
	for _, l := range lines(t, &out) {
		if id, ok := l["id"].(string); ok {
			ids = append(ids, id)
		}
		if ev, ok := l["event"].(map[string]any); ok {
			kinds = append(kinds, ev["kind"].(string))
		}
		if s, ok := l["state"].(string); ok {
			states = append(states, s)
		}
		if l["error"] == "parse_error" && l["id"] == "7" && l["session"] == "s1" {
			parseErrors++
		}
	}
	if fmt.Sprint(ids) != "[1 2 3 6 7 8 9 10 11 12]" || parseErrors != 1 {
		t.Fatalf("ids %v, parse errors %d", ids, parseErrors)
	}
	if fmt.Sprint(kinds) != "[snapshot hydration message presence broadcast message message presence snapshot]" {
		t.Fatal(kinds)
	}
	if fmt.Sprint(states) != "[connecting connected reconnecting connected reconnecting closed]" {
		t.Fatal(states)
	}
}

func TestAuthFailedAndMaxReconnectsExceeded(t *testing.T) {
	base := refservice.Start(t, "hub_server.py")
	var out bytes.Buffer
	if code := run([]string{base, "s1", "api_key=wrong", "org_id=org-1"}, &out); code != 1 {
		t.Fatal(code)
	}
	all := lines(t, &out)
	if last := all[len(all)-1]; last["error"] != "auth_failed" || last["session"] != "s1" {
		t.Fatal(last)
	}
	listener, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := listener.Addr().String()
	listener.Close()
	out.Reset()
	if code := run([]string{"http://" + addr, "s1", "initial_ms=10", "max_ms=20"}, &out); code != 1 {
		t.Fatal(code)
	}
	all = lines(t, &out)
	if last := all[len(all)-1]; last["error"] != "max_reconnects_exceeded" {
		t.Fatal(last)
	}
}
