package sselink_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

// closeError ranges over the items and returns the closing item's error.
func closeError(t *testing.T, s *sselink.Stream) error {
	t.Helper()
	for item := range s.Items() {
		if item.Kind == sselink.KindOpen {
			t.Fatalf("the stream opened: %+v", item)
		}
		if item.Kind == sselink.KindClosed {
			return item.Err
		}
	}
	t.Fatal("no closing item")
	return nil
}

func TestAProviderThatPanicsOrGivesNonUTF8FailsTheAttempt(t *testing.T) {
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		sse(w)("data: x\n\n")
	}))
	t.Cleanup(server.Close)
	for _, c := range []struct {
		provider func() [][2]string
		reason   string
	}{
		{func() [][2]string { panic("vault sealed") }, "the Go provider panicked: vault sealed"},
		{func() [][2]string { return [][2]string{{"X-Token", "\xff"}} }, "value of header `X-Token` is not UTF-8"},
	} {
		s := connect(t, server.URL, sselink.Reconnect(false), sselink.HeaderProvider(c.provider))
		err := closeError(t, s)
		if !errors.Is(err, sselink.ErrHeaderProvider) || !strings.Contains(err.Error(), c.reason) {
			t.Fatalf("%v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = s.Post(ctx, []byte(`{}`))
		cancel()
		if !errors.Is(err, sselink.ErrHeaderProvider) {
			t.Fatalf("post: %v", err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests went out without the provider's headers", n)
	}
}

func TestALoggerThatPanicsLosesOnlyItsRecord(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse(w)("data: one\n\ndata: two\n\n")
	}))
	t.Cleanup(server.Close)
	var calls atomic.Int32
	if err := sselink.SetLogger(func(sselink.Level, string, string) {
		calls.Add(1)
		panic("logger bug")
	}, sselink.LevelDebug); err != nil {
		t.Fatal(err)
	}
	defer sselink.SetLogger(nil, sselink.LevelOff)
	s := connect(t, server.URL, sselink.Reconnect(false))
	var data []string
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, ev.Data)
	}
	if strings.Join(data, ",") != "one,two" || calls.Load() < 2 {
		t.Fatalf("events %v, %d logger calls", data, calls.Load())
	}
}

// Close inside a logger, on the stream's own reader thread, returns at once
// (it cannot wait for the thread it runs on), and the logger may turn
// logging off there.
func TestCloseInsideALoggerReturnsAtOnce(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	var target atomic.Pointer[sselink.Stream]
	took := make(chan time.Duration, 1)
	if err := sselink.SetLogger(func(_ sselink.Level, _, message string) {
		if !strings.Contains(message, "close-in-logger") {
			return
		}
		if s := target.Swap(nil); s != nil {
			start := time.Now()
			s.Close()
			sselink.SetLogger(nil, sselink.LevelOff)
			took <- time.Since(start)
		}
	}, sselink.LevelDebug); err != nil {
		t.Fatal(err)
	}
	defer sselink.SetLogger(nil, sselink.LevelOff)
	s, err := sselink.Connect(context.Background(), server.URL+"/close-in-logger")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	target.Store(s)
	// The first connect may have been logged before the logger could find
	// the stream: a restart logs another.
	s.Restart()
	select {
	case d := <-took:
		if d > time.Second {
			t.Fatalf("Close inside the logger took %v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the logger never closed the stream")
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, sselink.ErrClosed) {
		t.Fatal(err)
	}
}

// When SetLogger returns, the function it replaced has returned on every
// other thread, and it is not called again.
func TestSetLoggerWaitsForTheLoggerItReplaces(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	entered, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	var off atomic.Bool
	var callsAfterOff atomic.Int32
	if err := sselink.SetLogger(func(sselink.Level, string, string) {
		if off.Load() {
			callsAfterOff.Add(1)
		}
		first.Do(func() {
			close(entered)
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		})
	}, sselink.LevelDebug); err != nil {
		t.Fatal(err)
	}
	defer sselink.SetLogger(nil, sselink.LevelOff)
	s := connect(t, server.URL)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the logger was not called")
	}
	returned := make(chan struct{})
	go func() {
		sselink.SetLogger(nil, sselink.LevelOff)
		off.Store(true)
		close(returned)
	}()
	// Time for SetLogger to get going; if it returns meanwhile, it did not
	// wait.
	time.Sleep(100 * time.Millisecond)
	select {
	case <-returned:
		t.Fatal("SetLogger returned while the logger it replaced was running")
	default:
	}
	close(release)
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("SetLogger did not return once the logger had")
	}
	// Activity after logging is off reaches no logger.
	s.Restart()
	for item := range s.Items() {
		if item.Kind == sselink.KindOpen {
			break
		}
	}
	if n := callsAfterOff.Load(); n != 0 {
		t.Fatalf("the replaced logger was called %d times after SetLogger returned", n)
	}
}

// A header provider may call Close, also during Post, where it runs on the
// posting goroutine (it deadlocked on the stream's lock; found by a defect
// hunt).
func TestCloseInsideAProviderDuringPostReturns(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			return
		}
		sse(w)
		<-r.Context().Done()
	}))
	t.Cleanup(server.Close)
	var target atomic.Pointer[sselink.Stream]
	var inPost atomic.Bool
	s, err := sselink.Connect(context.Background(), server.URL, sselink.HeaderProvider(func() [][2]string {
		if inPost.Load() {
			if s := target.Swap(nil); s != nil {
				s.Close()
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	target.Store(s)
	inPost.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := s.Post(context.Background(), []byte(`{}`))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, sselink.ErrClosed) {
			t.Fatalf("post: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Post never returned: Close inside the provider deadlocked on the stream's lock")
	}
	// Close from the test must not hang either.
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("Close hangs after Close inside the provider")
	}
}

// Close from a provider (the reader thread) while the program's own Close
// is in progress: neither waits for the other (both stalled five seconds;
// found by a defect hunt).
func TestACloseOnTheReaderThreadDuringAnotherCloseWaitsForNeither(t *testing.T) {
	server := silent()
	t.Cleanup(server.Close)
	var target atomic.Pointer[sselink.Stream]
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var calls atomic.Int32
	s, err := sselink.Connect(context.Background(), server.URL, sselink.HeaderProvider(func() [][2]string {
		if calls.Add(1) == 1 {
			entered <- struct{}{}
			<-release
			if s := target.Load(); s != nil {
				s.Close()
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	target.Store(s)
	<-entered
	took := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		s.Close()
		took <- time.Since(start)
	}()
	time.Sleep(300 * time.Millisecond) // the program's Close is waiting for the reader
	close(release)
	if d := <-took; d > 2*time.Second {
		t.Fatalf("Close took %v: the provider's Close and the program's waited for each other", d)
	}
}

// A logger gets no record above the level it was set with, also while
// SetLogger switches between loggers of different levels and records flow:
// the record in flight during a switch is filtered by the level of the
// logger it reaches.
func TestALoggerGetsNoRecordAboveItsLevelDuringSwitches(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An empty stream that ends at once: the streams reconnect over and
		// over, logging at debug, and queue nothing (a full queue would stop
		// their readers, and so their records).
		sse(w)("")
	}))
	t.Cleanup(server.Close)
	var debugSeen, aboveWarn atomic.Int32
	var worst atomic.Uint32
	got := make(chan struct{}, 1)
	verbose := func(level sselink.Level, _, _ string) {
		if level == sselink.LevelDebug {
			debugSeen.Add(1)
		}
		select {
		case got <- struct{}{}:
		default:
		}
	}
	quiet := func(level sselink.Level, _, _ string) {
		if level > sselink.LevelWarn {
			aboveWarn.Add(1)
			worst.Store(uint32(level))
		}
	}
	defer sselink.SetLogger(nil, sselink.LevelOff)
	for range 4 {
		connect(t, server.URL, quick()...)
	}
	// Each round installs the debug logger, waits for a record (a stream's
	// burst of records has begun), and switches to the warn logger while
	// the rest of the burst is in flight. 50 rounds, each bounded.
	for round := 0; round < 50 && aboveWarn.Load() == 0; round++ {
		if err := sselink.SetLogger(verbose, sselink.LevelDebug); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: no record reached the debug logger in 10 s", round)
		}
		if err := sselink.SetLogger(quiet, sselink.LevelWarn); err != nil {
			t.Fatal(err)
		}
	}
	if n := aboveWarn.Load(); n != 0 {
		t.Fatalf("the logger set for LevelWarn got %d records above it (level %d)", n, worst.Load())
	}
	if debugSeen.Load() == 0 {
		t.Fatal("no debug record reached the debug logger")
	}
}
