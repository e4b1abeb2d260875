package sselink_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

// sse writes an event-stream head and returns a function that writes and
// flushes each piece of body.
func sse(w http.ResponseWriter) func(string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	flusher.Flush()
	return func(s string) {
		fmt.Fprint(w, s)
		flusher.Flush()
	}
}

// quick reconnects fast and exactly.
func quick() []sselink.Option {
	return []sselink.Option{
		sselink.ReconnectDelay(10*time.Millisecond, 80*time.Millisecond),
		sselink.Jitter(0),
	}
}

func connect(t *testing.T, url string, options ...sselink.Option) *sselink.Stream {
	t.Helper()
	s, err := sselink.Connect(context.Background(), url, options...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEventsArriveInOrder(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send := sse(w)
		for i := 1; i <= 50; i++ {
			send(fmt.Sprintf("id: %d\nevent: tick\ndata: %d\n\n", i, i))
		}
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, sselink.Reconnect(false))
	n := 0
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if ev.Type != "tick" || ev.Data != strconv.Itoa(n) || ev.ID != strconv.Itoa(n) || ev.Retry != -1 {
			t.Fatalf("event %d: %+v", n, ev)
		}
	}
	if n != 50 || s.LastEventID() != "50" {
		t.Fatalf("%d events, last id %q", n, s.LastEventID())
	}
	// Finished, not closed by the program: Restart says ErrClosed.
	if err := s.Restart(); !errors.Is(err, sselink.ErrClosed) {
		t.Fatalf("%v", err)
	}
}

func TestHeadersMethodBodyAndQueryAreSent(t *testing.T) {
	seen := make(chan *http.Request, 1)
	bodies := make(chan string, 1)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 64)
		n, _ := r.Body.Read(b)
		bodies <- string(b[:n])
		seen <- r
		sse(w)("data: x\n\n")
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL+"/e?a=1", sselink.Reconnect(false),
		sselink.Header("X-Test", "yes"), sselink.Method("REPORT"),
		sselink.Body([]byte(`{"q":1}`)), sselink.Query("b", "2 3"))
	for range s.Events() {
	}
	r := <-seen
	if r.Method != "REPORT" || r.Header.Get("X-Test") != "yes" || r.URL.RawQuery != "a=1&b=2+3" {
		t.Fatalf("%s %s %v", r.Method, r.URL, r.Header)
	}
	if r.Header.Get("Accept") != "text/event-stream" {
		t.Fatal(r.Header)
	}
	if body := <-bodies; body != `{"q":1}` {
		t.Fatal(body)
	}
}

func TestHeaderProviderIsCalledForEveryConnect(t *testing.T) {
	var tokens []string
	var mu sync.Mutex
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("Authorization"))
		n := len(tokens)
		mu.Unlock()
		if n <= 3 {
			sse(w)("data: x\n\n")
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(server.Close)
	var calls atomic.Int32
	s := connect(t, server.URL, append(quick(), sselink.HeaderProvider(func() [][2]string {
		n := calls.Add(1)
		return [][2]string{{"Authorization", fmt.Sprintf("Bearer token-%d", n)}}
	}))...)
	for range s.Events() {
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"Bearer token-1", "Bearer token-2", "Bearer token-3", "Bearer token-4"}
	if strings.Join(tokens, ",") != strings.Join(want, ",") {
		t.Fatal(tokens)
	}
}

func TestReconnectSendsTheLastEventID(t *testing.T) {
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch requests.Add(1) {
		case 1:
			sse(w)("id: 1\ndata: one\n\nid: 2\ndata: two\n\ndata: partial")
		case 2:
			if r.Header.Get("Last-Event-ID") != "2" {
				http.Error(w, "bad resume", http.StatusBadRequest)
				return
			}
			sse(w)("id: 3\ndata: three\n\n")
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, quick()...)
	var data []string
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, ev.Data)
	}
	if strings.Join(data, ",") != "one,two,three" {
		t.Fatal(data)
	}
}

func TestLifecycleItems(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Server", "httptest")
		sse(w)("data: x\n\n")
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, sselink.Reconnect(false))
	var kinds []sselink.ItemKind
	for item := range s.Items() {
		kinds = append(kinds, item.Kind)
		if item.Kind == sselink.KindOpen && (item.Status != 200 || item.Header.Get("X-Server") != "httptest") {
			t.Fatalf("%+v", item)
		}
		if item.Kind == sselink.KindClosed && item.Reason != sselink.ReasonEnded {
			t.Fatalf("%+v", item)
		}
	}
	want := []sselink.ItemKind{sselink.KindConnecting, sselink.KindOpen, sselink.KindEvent, sselink.KindClosed}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatal(kinds)
	}
	if s.State() != sselink.StateClosed {
		t.Fatal(s.State())
	}
}

func TestNoContentStops(t *testing.T) {
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, quick()...)
	for item := range s.Items() {
		if item.Kind == sselink.KindClosed && item.Reason != sselink.ReasonNoContent {
			t.Fatalf("%+v", item)
		}
	}
	if requests.Load() != 1 {
		t.Fatal(requests.Load())
	}
}

func TestUnauthorizedIsAnErrorWithItsStatus(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Reason", "expired")
		http.Error(w, `{"error":"token expired"}`, http.StatusUnauthorized)
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, quick()...)
	var got error
	for _, err := range s.Events() {
		got = err
	}
	var sseErr *sselink.Error
	if !errors.Is(got, sselink.ErrHTTPStatus) || !errors.As(got, &sseErr) || sseErr.Status != 401 {
		t.Fatalf("%v", got)
	}
	if errors.Is(got, sselink.ErrTLS) || !strings.Contains(got.Error(), "401") {
		t.Fatal(got)
	}
}

func TestInvalidOptionsFailConnect(t *testing.T) {
	_, err := sselink.Connect(context.Background(), "http://127.0.0.1:1/", sselink.Header("Bad Name", "x"))
	if !errors.Is(err, sselink.ErrInvalidConfig) || !strings.Contains(err.Error(), "not an HTTP token") {
		t.Fatal(err)
	}
	_, err = sselink.Connect(context.Background(), "ftp://x/")
	if !errors.Is(err, sselink.ErrInvalidConfig) {
		t.Fatal(err)
	}
	_, err = sselink.Connect(context.Background(), "http://127.0.0.1:1/", sselink.Capacity(0))
	if !errors.Is(err, sselink.ErrInvalidConfig) || !strings.Contains(err.Error(), "capacity") {
		t.Fatal(err)
	}
}

// silent holds every connection open without a byte of body.
func silent() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse(w)
		<-r.Context().Done()
	}))
}

func TestCloseWhileWaitingReturnsPromptlyAndLeavesNoGoroutine(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	before := runtime.NumGoroutine()
	s, err := sselink.Connect(context.Background(), server.URL)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range s.Events() {
		}
		close(done)
	}()
	time.Sleep(50 * time.Millisecond) // let the goroutine park in the poller
	start := time.Now()
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting goroutine did not return")
	}
	if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
		t.Fatalf("close took %v", elapsed)
	}
	s.Close() // twice is harmless
	waitGoroutines(t, before)
}

// waitGoroutines waits (bounded) until no more goroutines run than before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestContextCancellationClosesTheStream(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sselink.Connect(ctx, server.URL)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range s.Items() {
		}
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the context did not end the stream")
	}
	if s.State() != sselink.StateClosed {
		t.Fatal(s.State())
	}
	// Next's own context bounds only the wait.
	server2 := silent()
	t.Cleanup(server2.Close)
	s2 := connect(t, server2.URL)
	waitCtx, stop := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer stop()
	for {
		item, err := s2.Next(waitCtx)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
			break
		}
		if item.Kind == sselink.KindEvent {
			t.Fatal(item)
		}
	}
	if s2.State() == sselink.StateClosed {
		t.Fatal("the wait's deadline closed the stream")
	}
}

func TestPostIsRetriedThenAnswered(t *testing.T) {
	var posts atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			sse(w)
			<-r.Context().Done()
			return
		}
		if r.URL.Path != "/v1/events" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong post", http.StatusBadRequest)
			return
		}
		if posts.Add(1) < 3 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, "stored")
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL+"/v1/events/stream", sselink.PostDelay(10*time.Millisecond, 20*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	response, err := s.Post(ctx, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if response.Status != 201 || string(response.Body) != "stored" || response.Attempts != 3 {
		t.Fatalf("%+v", response)
	}
	s.Close()
	if _, err := s.Post(ctx, []byte(`{}`)); !errors.Is(err, sselink.ErrClosed) {
		t.Fatal(err)
	}
}

func TestPostFailuresSayWhyWithTheLastStatus(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "2")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case "/cut":
			// 10 of the 100 bytes announced, then the connection closes.
			conn, buffered, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			buffered.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
			buffered.Flush()
			conn.Close()
		default:
			sse(w)
			<-r.Context().Done()
		}
	}))
	t.Cleanup(server.Close)
	busy := connect(t, server.URL+"/events", sselink.PostURL(server.URL+"/busy"),
		sselink.PostDelay(10*time.Millisecond, 10*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := busy.Post(ctx, []byte(`{}`))
	var sseErr *sselink.Error
	if !errors.Is(err, sselink.ErrDeadline) || !errors.As(err, &sseErr) || sseErr.Status != 503 {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "Retry-After") {
		t.Fatal(err)
	}
	cut := connect(t, server.URL+"/events", sselink.PostURL(server.URL+"/cut"))
	_, err = cut.Post(context.Background(), []byte(`{}`))
	if !errors.Is(err, sselink.ErrIncompleteBody) || !errors.As(err, &sseErr) || sseErr.Status != 200 {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), "cut off after 10 of 100 bytes") {
		t.Fatal(err)
	}
}

// Names under .invalid never resolve: no network is needed.
func TestAnUnresolvedHostIsADNSFailure(t *testing.T) {
	s := connect(t, "http://nothing.invalid/events", sselink.Reconnect(false),
		sselink.PostAttempts(1))
	var got error
	for _, err := range s.Events() {
		got = err
	}
	if !errors.Is(got, sselink.ErrDNS) || !strings.Contains(got.Error(), "nothing.invalid") {
		t.Fatalf("%v", got)
	}
	_, err := s.Post(context.Background(), []byte(`{}`))
	if !errors.Is(err, sselink.ErrAttemptsExhausted) || !strings.Contains(err.Error(), "did not resolve") {
		t.Fatalf("%v", err)
	}
}

func TestRetryTLSErrorsIsAnOption(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse(w)("data: x\n\n")
	}))
	t.Cleanup(server.Close)
	// The test server's certificate is not trusted: final by default...
	s := connect(t, server.URL, quick()...)
	var got error
	for _, err := range s.Events() {
		got = err
	}
	if !errors.Is(got, sselink.ErrTLS) || !strings.Contains(got.Error(), "root_certificate") {
		t.Fatalf("%v", got)
	}
	// ...and retried with RetryTLSErrors until the attempts run out.
	retried := connect(t, server.URL, append(quick(), sselink.RetryTLSErrors(true), sselink.MaxAttempts(2))...)
	got = nil
	for _, err := range retried.Events() {
		got = err
	}
	if !errors.Is(got, sselink.ErrAttemptsExhausted) || !strings.Contains(got.Error(), "TLS failed") {
		t.Fatalf("%v", got)
	}
}

func TestAHundredThousandEventsInStableMemory(t *testing.T) {
	const total = 100_000
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send := sse(w)
		// 1 KiB events: a leak of an event's data per event would be 100 MiB.
		chunk := strings.Repeat("data: "+strings.Repeat("x", 1024)+"\n\n", 1000)
		for i := 0; i < total/1000; i++ {
			send(chunk)
		}
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, sselink.Reconnect(false))
	var heapAt, rssAt [2]uint64
	n := 0
	for _, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == total/10 || n == total {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			i := 0
			if n == total {
				i = 1
			}
			heapAt[i], rssAt[i] = m.HeapInuse, uint64(rss(t))
		}
	}
	if n != total {
		t.Fatal(n)
	}
	t.Logf("Go heap in use %d -> %d KiB, RSS %d -> %d KiB (after 10,000 and 100,000 events)",
		heapAt[0]>>10, heapAt[1]>>10, rssAt[0], rssAt[1])
	if heapAt[1] > heapAt[0]+4<<20 || rssAt[1] > rssAt[0]+24<<10 {
		t.Fatal("memory grew with the number of events")
	}
}

func TestAThousandStreamsAtOnceHoldNoThreadWhileWaiting(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	before := threads(t)
	streams := make([]*sselink.Stream, 1000)
	var wg sync.WaitGroup
	for i := range streams {
		s, err := sselink.Connect(context.Background(), server.URL, sselink.ReaderStackSize(256<<10))
		if err != nil {
			t.Fatal(err)
		}
		streams[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range s.Events() {
			}
		}()
	}
	// Every stream open and every goroutine parked.
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range streams {
		for s.State() != sselink.StateOpen {
			if time.Now().After(deadline) {
				t.Fatal("streams did not open")
			}
			time.Sleep(time.Millisecond)
		}
	}
	time.Sleep(100 * time.Millisecond)
	during := threads(t)
	t.Logf("OS threads: %d before, %d with 1,000 idle streams (1,000 of them the library's reader threads)", before, during)
	if extra := during - before - 1000; extra > 50 {
		t.Fatalf("%d threads beyond the 1,000 readers: waiting goroutines hold threads", extra)
	}
	for _, s := range streams {
		s.Close()
	}
	wg.Wait()
}

// procStatus is a figure of this process from /proc/self/status: field
// ("Threads:", "VmRSS:"...) in its own unit (a count, or KiB for memory).
func procStatus(t *testing.T, field string) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatalf("no number in %q", line)
			}
			return n
		}
	}
	t.Fatalf("no %s line in /proc/self/status", field)
	return 0
}

// threads counts this process's OS threads.
func threads(t *testing.T) int { return procStatus(t, "Threads:") }

// rss is this process's resident memory, in KiB.
func rss(t *testing.T) int { return procStatus(t, "VmRSS:") }

func TestDropPoliciesAndDropped(t *testing.T) {
	release := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send := sse(w)
		for i := 0; i < 100; i++ {
			send(fmt.Sprintf("id: %d\ndata: %d\n\n", i, i))
		}
		close(release)
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, sselink.Reconnect(false), sselink.Capacity(4), sselink.Overflow(sselink.OverflowDropOldest))
	<-release
	for s.State() != sselink.StateClosed {
		time.Sleep(time.Millisecond)
	}
	n := 0
	for range s.Events() {
		n++
	}
	if n+int(s.Dropped()) != 100 || s.Dropped() == 0 {
		t.Fatalf("%d events, %d dropped", n, s.Dropped())
	}
}

func TestLogRecordsNeverCarryCredentials(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/moved?token=LOCATIONSECRET", http.StatusFound)
			return
		}
		sse(w)("data: x\n\n")
	}))
	t.Cleanup(server.Close)
	var mu sync.Mutex
	var records []string
	if err := sselink.SetLogger(func(level sselink.Level, target, message string) {
		mu.Lock()
		records = append(records, fmt.Sprintf("%d %s %s", level, target, message))
		mu.Unlock()
	}, sselink.LevelTrace); err != nil {
		t.Fatal(err)
	}
	defer sselink.SetLogger(nil, sselink.LevelOff)
	url := strings.Replace(server.URL, "http://", "http://user:USERSECRET@", 1) + "/start?api_key=QUERYSECRET"
	s := connect(t, url, sselink.Reconnect(false),
		sselink.Header("Authorization", "Bearer HEADERSECRET"),
		sselink.SensitiveHeader("X-Api-Key", "CUSTOMSECRET"),
		sselink.HeaderProvider(func() [][2]string { return [][2]string{{"Cookie", "s=COOKIESECRET"}} }),
		sselink.Method("POST"), sselink.Body([]byte("BODYSECRET")))
	for range s.Events() {
	}
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(records, "\n")
	for _, secret := range []string{"USERSECRET", "QUERYSECRET", "HEADERSECRET", "CUSTOMSECRET", "COOKIESECRET", "BODYSECRET", "LOCATIONSECRET"} {
		if strings.Contains(all, secret) {
			t.Fatalf("%s logged:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "/start?api_key=***") {
		t.Fatalf("the connect was not logged:\n%s", all)
	}
}

// TestStress: 8 goroutines pick random operations on 32 shared slots until
// 1,000 streams have been made: connect, next, restart, post, close (from
// any goroutine, also while another waits in Next), and Close-and-forget.
// Run with -race by the test command.
func TestStress(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			return
		}
		send := sse(w)
		for i := range 20 {
			send(fmt.Sprintf("id: %d\ndata: %d\n\n", i, i))
		}
		<-r.Context().Done()
	}))
	t.Cleanup(server.Close)
	type slot struct {
		mu      sync.Mutex // guards stream
		polling sync.Mutex // one goroutine polls a stream at a time
		stream  *sselink.Stream
	}
	slots := make([]slot, 32)
	var made atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := uint64(g)*0x9E3779B97F4A7C15 + 1
			next := func(n uint64) uint64 {
				rng ^= rng << 13
				rng ^= rng >> 7
				rng ^= rng << 17
				return rng % n
			}
			for made.Load() < 1000 {
				s := &slots[next(uint64(len(slots)))]
				op := next(10)
				s.mu.Lock()
				stream := s.stream
				if op == 0 {
					if stream == nil {
						created, err := sselink.Connect(context.Background(), server.URL,
							sselink.ReconnectDelay(time.Millisecond, 10*time.Millisecond), sselink.Capacity(16))
						if err != nil {
							t.Error(err)
						}
						s.stream = created
						made.Add(1)
					} else {
						s.stream = nil
						stream.Close()
					}
					s.mu.Unlock()
					continue
				}
				s.mu.Unlock()
				if stream == nil {
					continue
				}
				switch op {
				case 1, 2, 3, 4:
					if s.polling.TryLock() {
						ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
						stream.Next(ctx)
						cancel()
						s.polling.Unlock()
					}
				case 5:
					stream.Restart()
				case 6:
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
					stream.Post(ctx, []byte(`{}`))
					cancel()
				case 7:
					start := time.Now()
					stream.Close()
					if took := time.Since(start); took > 6*time.Second {
						t.Errorf("a close took %v", took)
					}
				default:
					_, _, _ = stream.State(), stream.LastEventID(), stream.Dropped()
				}
			}
		}()
	}
	wg.Wait()
	for i := range slots {
		if slots[i].stream != nil {
			slots[i].stream.Close()
		}
	}
	t.Logf("%d streams made", made.Load())
}

// Several goroutines calling Next at once each get whole events: every one
// once, none with another's data.
func TestNextFromManyGoroutinesHandsOutEachEventWhole(t *testing.T) {
	const total = 20_000
	data := func(i int) string {
		return strconv.Itoa(i) + "-" + strings.Repeat(string(rune('a'+i%26)), 1+i%300)
	}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send := sse(w)
		var b strings.Builder
		for i := range total {
			fmt.Fprintf(&b, "id: %d\ndata: %s\n\n", i, data(i))
			if b.Len() > 16<<10 {
				send(b.String())
				b.Reset()
			}
		}
		send(b.String())
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL, sselink.Reconnect(false))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seen := make([]atomic.Int32, total)
	var bad atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				item, err := s.Next(ctx)
				if err != nil {
					return
				}
				if item.Kind != sselink.KindEvent {
					continue
				}
				i, err := strconv.Atoi(item.Event.ID)
				if err != nil || i < 0 || i >= total || item.Event.Data != data(i) {
					if bad.Add(1) <= 3 {
						t.Errorf("event %q: %.40q", item.Event.ID, item.Event.Data)
					}
					continue
				}
				seen[i].Add(1)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the goroutines did not finish")
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("event %d handed out %d times (%d events corrupted)", i, n, bad.Load())
		}
	}
}

// One goroutine's deadline ends its own Next, not another goroutine's.
func TestADeadlineEndsOnlyItsOwnNext(t *testing.T) {
	send := make(chan string)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := sse(w)
		for {
			select {
			case text := <-send:
				write(text)
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL)
	for item := range s.Items() {
		if item.Kind == sselink.KindOpen {
			break
		}
	}
	for round := range 4 {
		type result struct {
			item sselink.Item
			err  error
		}
		waiting := make(chan result, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			item, err := s.Next(ctx)
			waiting <- result{item, err}
		}()
		// Let the first goroutine park (in the poller, or behind the other).
		time.Sleep(50 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := s.Next(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: %v", round, err)
		}
		send <- fmt.Sprintf("data: %d\n\n", round)
		r := <-waiting
		if r.err != nil || r.item.Kind != sselink.KindEvent || r.item.Event.Data != strconv.Itoa(round) {
			t.Fatalf("round %d: the other goroutine's Next got %+v, %v", round, r.item, r.err)
		}
	}
	s.Close()
	_, err := s.Next(context.Background())
	if !errors.Is(err, sselink.ErrClosed) || strings.Contains(err.Error(), "post") {
		t.Fatalf("%v", err)
	}
	if err := s.Restart(); !errors.Is(err, sselink.ErrClosed) {
		t.Fatalf("%v", err)
	}
}

// openDescriptors counts this process's open file descriptors.
func openDescriptors(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// A stream dropped without Close is closed by its finalizer: its
// descriptors and reader thread go, with a plain or a cancellable context.
func TestADroppedStreamIsClosedByItsFinalizer(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runtime.GC()
	fds, threadsBefore := openDescriptors(t), threads(t)
	func() {
		for i := range 50 {
			parent := context.Background()
			if i%2 == 1 {
				parent = ctx
			}
			s, err := sselink.Connect(parent, server.URL)
			if err != nil {
				t.Fatal(err)
			}
			for item := range s.Items() {
				if item.Kind == sselink.KindOpen {
					break
				}
			}
		}
	}()
	if openDescriptors(t) < fds+100 {
		t.Fatalf("50 open streams hold only %d descriptors", openDescriptors(t)-fds)
	}
	deadline := time.Now().Add(20 * time.Second)
	for openDescriptors(t) > fds+5 || threads(t) > threadsBefore+5 {
		if time.Now().After(deadline) {
			t.Fatalf("descriptors %d (%d before), threads %d (%d before): the dropped streams were not closed",
				openDescriptors(t), fds, threads(t), threadsBefore)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// A Post whose context is already done sends nothing.
func TestPostWithADoneContextSendsNothing(t *testing.T) {
	var posts atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			sse(w)
			<-r.Context().Done()
			return
		}
		posts.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	for range 20 {
		if _, err := s.Post(cancelled, []byte(`{}`)); !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		if _, err := s.Post(expired, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
	}
	live, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if response, err := s.Post(live, []byte(`{}`)); err != nil || response.Status != 201 {
		t.Fatal(response, err)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the server received %d posts, not 1", n)
	}
}

// A context done while the request is in flight returns at once; the
// request has reached the server.
func TestPostReturnsWhenItsContextIsDoneInFlight(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			sse(w)
			<-r.Context().Done()
			return
		}
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(server.Close)
	t.Cleanup(func() { close(release) })
	s := connect(t, server.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := s.Post(ctx, []byte(`{}`))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Post did not return when its context was cancelled")
	}
}

// The error that ends a stream after its attempts run out unwraps to the
// last attempt's error.
func TestGivingUpUnwrapsToTheLastAttemptsError(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + listener.Addr().String() + "/"
	listener.Close() // nothing listens there now: connections are refused
	for _, c := range []struct {
		option  sselink.Option
		gaveUp  error
		another error
	}{
		{sselink.MaxAttempts(1), sselink.ErrAttemptsExhausted, sselink.ErrTimeBudgetExhausted},
		{sselink.TimeBudget(time.Millisecond), sselink.ErrTimeBudgetExhausted, sselink.ErrAttemptsExhausted},
	} {
		s := connect(t, url, append(quick(), c.option)...)
		var got error
		for _, err := range s.Events() {
			got = err
		}
		if !errors.Is(got, c.gaveUp) || !errors.Is(got, sselink.ErrConnectionRefused) || errors.Is(got, c.another) {
			t.Fatalf("%v", got)
		}
		if !errors.Is(errors.Unwrap(got), sselink.ErrConnectionRefused) {
			t.Fatalf("%v", got)
		}
	}
}

func TestARefusedURLSaysWhy(t *testing.T) {
	_, err := sselink.Connect(context.Background(), "http://")
	if !errors.Is(err, sselink.ErrInvalidConfig) || !strings.Contains(err.Error(), "empty host") {
		t.Fatal(err)
	}
}

// testPKI is a CA, a server certificate it signed for 127.0.0.1, and a
// client certificate it signed, with keys, in PEM.
type testPKI struct {
	caPEM, clientPEM, clientKeyPEM, otherKeyPEM []byte
	server                                      tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	key := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	caKey, _ := key()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sselink test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, ip bool, public *ecdsa.PublicKey) []byte {
		template := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "leaf"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}
		if ip {
			template.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		der, err := x509.CreateCertificate(rand.Reader, template, ca, public, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	serverKey, _ := key()
	serverDER := leaf(2, true, &serverKey.PublicKey)
	clientKey, clientKeyPEM := key()
	_, otherKeyPEM := key()
	encode := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	return testPKI{
		caPEM:        encode(caDER),
		clientPEM:    encode(leaf(3, false, &clientKey.PublicKey)),
		clientKeyPEM: clientKeyPEM,
		otherKeyPEM:  otherKeyPEM,
		server:       tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey},
	}
}

func TestAClientKeyOfAnotherCertificateIsRefused(t *testing.T) {
	pki := newTestPKI(t)
	_, err := sselink.Connect(context.Background(), "https://127.0.0.1:1/",
		sselink.ClientCertificate(pki.clientPEM, pki.otherKeyPEM))
	if !errors.Is(err, sselink.ErrInvalidConfig) || !strings.Contains(err.Error(), "does not belong") {
		t.Fatal(err)
	}
	s, err := sselink.Connect(context.Background(), "https://127.0.0.1:1/",
		sselink.ClientCertificate(pki.clientPEM, pki.clientKeyPEM), sselink.Reconnect(false))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestARedirectFromHTTPSToHTTPNeedsInsecureRedirects(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse(w)("data: clear\n\n")
	}))
	t.Cleanup(plain.Close)
	pki := newTestPKI(t)
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/events", http.StatusTemporaryRedirect)
	}))
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	refused := connect(t, secure.URL, sselink.RootCertificate(pki.caPEM), sselink.Reconnect(false))
	var got error
	for _, err := range refused.Events() {
		got = err
	}
	if !errors.Is(got, sselink.ErrRedirect) || !strings.Contains(got.Error(), "insecure_redirects") {
		t.Fatal(got)
	}
	allowed := connect(t, secure.URL, sselink.RootCertificate(pki.caPEM), sselink.Reconnect(false),
		sselink.InsecureRedirects(true))
	for ev, err := range allowed.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != "clear" {
			t.Fatalf("%+v", ev)
		}
		return
	}
	t.Fatal("no event")
}

func TestAURLWithALineBreakIsRefused(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:1/a\nb", "http://127.0.0.1:1/a\rb", "http://127.0.0.1:1/a\tb"} {
		if _, err := sselink.Connect(context.Background(), url); !errors.Is(err, sselink.ErrInvalidConfig) {
			t.Fatalf("%q: %v", url, err)
		}
	}
}

// A caller saves the resume id after closing: LastEventID (and Dropped)
// keep what they said at Close. Found by a defect hunt.
func TestLastEventIDAndDroppedSurviveClose(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send := sse(w)
		send("id: 41\ndata: a\n\nid: 42\ndata: b\n\n")
		<-r.Context().Done()
	}))
	t.Cleanup(server.Close)
	s := connect(t, server.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := 0
	for events < 2 {
		item, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if item.Kind == sselink.KindEvent {
			events++
		}
	}
	if id := s.LastEventID(); id != "42" {
		t.Fatalf("before Close: %q", id)
	}
	s.Close()
	if id := s.LastEventID(); id != "42" {
		t.Fatalf("after Close, LastEventID() = %q, want \"42\": the resume id is lost", id)
	}
	if dropped := s.Dropped(); dropped != 0 {
		t.Fatalf("after Close, Dropped() = %d", dropped)
	}
}
