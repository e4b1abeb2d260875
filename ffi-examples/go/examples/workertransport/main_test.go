package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sselink/sselink/ffi-examples/go/internal/refservice"
)

// payloads are the sequence numbers printed, and the handover.
func payloads(t *testing.T, out *bytes.Buffer) ([]int, int) {
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var numbers []int
	for _, line := range lines[:len(lines)-1] {
		var p struct {
			Type string
			N    int
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil || p.Type != "step" {
			t.Fatalf("%q: %v", line, err)
		}
		numbers = append(numbers, p.N)
	}
	var h struct{ Handover int }
	json.Unmarshal([]byte(lines[len(lines)-1]), &h)
	return numbers, h.Handover
}

func accepted(t *testing.T, base, session string) []int {
	response, err := http.Get(base + "/accepted/" + session)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	var acks []int
	for _, line := range strings.Fields(string(body)) {
		var a struct{ Ack int }
		json.Unmarshal([]byte(line), &a)
		acks = append(acks, a.Ack)
	}
	slices.Sort(acks)
	return acks
}

func span(from, to int) string {
	var s []int
	for n := from; n <= to; n++ {
		s = append(s, n)
	}
	return fmt.Sprint(s)
}

func TestEveryEventOnceAndNoPostLost(t *testing.T) {
	base := refservice.Start(t, "worker_server.py")
	var out, log bytes.Buffer
	if code := run([]string{base + "/v2/session_ingress/session/g1/events/stream", "fast=1"}, &out, &log); code != 0 {
		t.Fatalf("exit %d: %s", code, log.String())
	}
	numbers, handover := payloads(t, &out)
	if fmt.Sprint(numbers) != span(1, 20) || handover != 20 {
		t.Fatalf("%v, handover %d", numbers, handover)
	}
	if got := fmt.Sprint(accepted(t, base, "g1")); got != span(1, 20) {
		t.Fatal(got)
	}
	if !strings.Contains(log.String(), "not a JSON envelope") {
		t.Fatal(log.String())
	}
}

func TestHandoverToASuccessor(t *testing.T) {
	base := refservice.Start(t, "worker_server.py")
	url := base + "/v2/session_ingress/session/g2/events/stream"
	var out, log bytes.Buffer
	run([]string{url, "fast=1", "max_payloads=6"}, &out, &log)
	numbers, handover := payloads(t, &out)
	if fmt.Sprint(numbers) != span(1, 6) || handover != 6 {
		t.Fatalf("%v, handover %d", numbers, handover)
	}
	out.Reset()
	if code := run([]string{url, "fast=1", fmt.Sprintf("from=%d", handover)}, &out, &log); code != 0 {
		t.Fatalf("exit %d: %s", code, log.String())
	}
	numbers, handover = payloads(t, &out)
	if fmt.Sprint(numbers) != span(7, 20) || handover != 20 {
		t.Fatalf("%v, handover %d", numbers, handover)
	}
	if got := fmt.Sprint(accepted(t, base, "g2")); got != span(1, 20) {
		t.Fatal(got)
	}
}

func TestA401StopsAtOnce(t *testing.T) {
	base := refservice.Start(t, "worker_server.py")
	t.Setenv("WORKER_COOKIE", "session=1")
	var out, log bytes.Buffer
	if code := run([]string{base + "/v2/session_ingress/session/g3/events/stream", "fast=1"}, &out, &log); code != 1 {
		t.Fatal(code)
	}
	if !strings.Contains(log.String(), "401") || strings.Contains(log.String(), "retrying") {
		t.Fatal(log.String())
	}
}
