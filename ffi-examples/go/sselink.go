// Package sselink is a Server-Sent Events client for Go over the sselink C
// library: one reader thread per stream in the library reconnects, resumes
// and parses; Go code ranges over the events.
//
//	s, err := sselink.Connect(ctx, "https://example.com/events",
//		sselink.Header("Authorization", "Bearer "+token))
//	if err != nil { ... }
//	defer s.Close()
//	for ev, err := range s.Events() {
//		if err != nil { ... }
//		fmt.Println(ev.Type, ev.Data)
//	}
//
// A goroutine waiting for events parks in Go's runtime poller on the
// stream's readiness descriptor and takes items with non-blocking calls, so
// waiting holds no OS thread.
//
// The package links the C library through pkg-config, against an install
// made by capi/install.sh: `pkg-config sselink` (libsselink.so) by default,
// `pkg-config sselink-static` (libsselink.a) with the build tag
// sselink_static. See the README.
package sselink

/*
#include <fcntl.h>
#include <stdlib.h>
#include "sselink.h"

static int sselink_go_dup(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }
*/
import "C"

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// ItemKind says what an Item reports; the Rust Item variant of the same name.
type ItemKind int

// The kinds of Item.
const (
	KindConnecting ItemKind = C.SSELINK_ITEM_KIND_CONNECTING
	KindOpen       ItemKind = C.SSELINK_ITEM_KIND_OPEN
	KindEvent      ItemKind = C.SSELINK_ITEM_KIND_EVENT
	KindComment    ItemKind = C.SSELINK_ITEM_KIND_COMMENT
	KindRetrying   ItemKind = C.SSELINK_ITEM_KIND_RETRYING
	KindClosed     ItemKind = C.SSELINK_ITEM_KIND_CLOSED
)

// CloseReason says why a stream closed, in a KindClosed item.
type CloseReason int

// The reasons a stream closes by itself; a Close by the program ends the
// iteration without an item.
const (
	ReasonNoContent CloseReason = C.SSELINK_CLOSE_REASON_NO_CONTENT
	ReasonEnded     CloseReason = C.SSELINK_CLOSE_REASON_ENDED
	ReasonError     CloseReason = C.SSELINK_CLOSE_REASON_ERROR
)

// State is where a stream is now.
type State int

// The states of a stream.
const (
	StateConnecting   State = C.SSELINK_STATE_CONNECTING
	StateOpen         State = C.SSELINK_STATE_OPEN
	StateReconnecting State = C.SSELINK_STATE_RECONNECTING
	StateClosed       State = C.SSELINK_STATE_CLOSED
)

// Event is one server-sent event. Its strings are Go's own copies.
type Event struct {
	// Type is the event type: "message" when the server sent none.
	Type string
	// Data is the data, lines joined with "\n".
	Data string
	// ID is the last event id in force (empty if the server sent none).
	ID string
	// Retry is the reconnection time the event's block set, or -1.
	Retry time.Duration
}

// Item is one thing that happened to a stream, in order.
type Item struct {
	Kind ItemKind
	// Event is set for KindEvent.
	Event Event
	// Comment is the text of a KindComment item.
	Comment string
	// Attempt numbers KindConnecting and KindRetrying items.
	Attempt int
	// Status is the HTTP status of a KindOpen item, or of the failed
	// response behind a KindRetrying or KindClosed item (0 if none).
	Status int
	// Header holds the response headers of a KindOpen item, or of the failed
	// response behind a KindRetrying or KindClosed item.
	Header http.Header
	// Body is the start of a failed response's body.
	Body string
	// Err is what went wrong, for KindRetrying and for KindClosed with
	// ReasonError.
	Err error
	// Delay is how long a KindRetrying item waits before reconnecting.
	Delay time.Duration
	// Reason says why a KindClosed item closed.
	Reason CloseReason
}

// Stream is a live event stream. Every method is safe for concurrent use by
// any number of goroutines: several goroutines may wait in Next at once, and
// each item goes to exactly one of them. Close releases the stream; a
// finalizer does too, as a safety net only.
type Stream struct {
	s *stream
}

// stream is the state behind a Stream. The context's AfterFunc refers to
// it, never to the Stream, so a Stream dropped without Close becomes
// unreachable and its finalizer closes the stream.
type stream struct {
	mu        sync.RWMutex // read-held for C calls; write-held to free
	ptr       *C.sselink_stream
	file      *os.File // a duplicate of the readiness descriptor, in Go's poller
	raw       syscall.RawConn
	taking    sync.Mutex    // held while an item is taken from the library and copied
	waiting   chan struct{} // holds a token while a goroutine waits in the poller
	done      chan struct{} // closed by close
	closeOnce sync.Once
	stopCtx   func() bool
	finished  atomic.Bool // the closing item was handed out
	// What LastEventID and Dropped report once the C stream is freed.
	finalID      string
	finalDropped uint64
}

// Connect starts a stream of url: it returns at once, and the connection is
// made in the background. Cancelling ctx closes the stream. Invalid options
// are reported here, with ErrInvalidConfig.
func Connect(ctx context.Context, url string, options ...Option) (*Stream, error) {
	var config *C.sselink_config
	cURL, cLen := cString(url)
	if result := C.sselink_config_new(cURL, cLen, &config); result != C.SSELINK_RESULT_OK {
		return nil, codeError(result, urlError(url))
	}
	defer C.sselink_config_free(config)
	for _, option := range options {
		if result := option(config); result != C.SSELINK_RESULT_OK {
			return nil, codeError(result, configError(config))
		}
	}
	var ptr *C.sselink_stream
	if result := C.sselink_stream_connect(config, &ptr); result != C.SSELINK_RESULT_OK {
		return nil, codeError(result, configError(config))
	}
	var fd C.int
	if result := C.sselink_stream_fd(ptr, &fd); result != C.SSELINK_RESULT_OK {
		C.sselink_stream_free(ptr)
		return nil, codeError(result, "")
	}
	dup := C.sselink_go_dup(fd)
	if dup < 0 {
		C.sselink_stream_free(ptr)
		return nil, &Error{Code: CodeResource, Message: "cannot duplicate the stream's descriptor"}
	}
	file := os.NewFile(uintptr(dup), "sselink-stream")
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		C.sselink_stream_free(ptr)
		return nil, err
	}
	st := &stream{ptr: ptr, file: file, raw: raw, waiting: make(chan struct{}, 1), done: make(chan struct{})}
	st.stopCtx = context.AfterFunc(ctx, st.close)
	s := &Stream{st}
	runtime.SetFinalizer(s, func(s *Stream) { s.s.close() })
	return s, nil
}

// urlError is the library's reason for refusing url.
func urlError(url string) string {
	var length C.size_t
	cURL, cLen := cString(url)
	C.sselink_config_url_error(cURL, cLen, nil, 0, &length)
	buffer := make([]byte, int(length)+1)
	if C.sselink_config_url_error(cURL, cLen, (*C.char)(unsafe.Pointer(&buffer[0])), C.size_t(len(buffer)), &length) != C.SSELINK_RESULT_OK {
		return ""
	}
	return string(buffer[:length])
}

// configError is the configuration's message about the last call.
func configError(config *C.sselink_config) string {
	var length C.size_t
	C.sselink_config_error(config, nil, 0, &length)
	buffer := make([]byte, int(length)+1)
	if C.sselink_config_error(config, (*C.char)(unsafe.Pointer(&buffer[0])), C.size_t(len(buffer)), &length) != C.SSELINK_RESULT_OK {
		return ""
	}
	return string(buffer[:length])
}

// cString views s for a C call that copies it: pointer and length, no NUL.
func cString(s string) (*C.char, C.size_t) {
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// cBytes views b for a C call that copies it.
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b))
}

func goString(s C.sselink_str) string {
	if s.len == 0 {
		return ""
	}
	return C.GoStringN(s.ptr, C.int(s.len))
}

// eventType is goString for an event type, without allocating the default.
func eventType(s C.sselink_str) string {
	if s.len == 7 && unsafe.String((*byte)(unsafe.Pointer(s.ptr)), 7) == "message" {
		return "message"
	}
	return goString(s)
}

// poll takes the next item without waiting. ok is false when none is
// queued; err is ErrClosed once the stream is finished. The library's
// buffers hold an item's strings until the next poll, so taking an item and
// copying it out happen under one lock: no other goroutine's poll can
// overwrite them in between.
func (st *stream) poll() (item Item, ok bool, err error) {
	st.taking.Lock()
	defer st.taking.Unlock()
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.ptr == nil || st.finished.Load() {
		return Item{}, false, ErrClosed
	}
	var c C.sselink_item
	switch result := C.sselink_stream_poll(st.ptr, 0, &c); result {
	case C.SSELINK_RESULT_OK:
	case C.SSELINK_RESULT_TIMEOUT:
		return Item{}, false, nil
	case C.SSELINK_RESULT_CLOSED:
		return Item{}, false, ErrClosed
	default:
		return Item{}, false, codeError(result, "")
	}
	return st.convert(&c), true, nil
}

// convert copies an item out of the library's buffers; the caller holds
// st.taking.
func (st *stream) convert(c *C.sselink_item) Item {
	item := Item{
		Kind:    ItemKind(c.kind),
		Attempt: int(c.attempt),
		Status:  int(c.http_status),
		Delay:   time.Duration(c.delay_ms) * time.Millisecond,
		Reason:  CloseReason(c.close_reason),
	}
	switch item.Kind {
	case KindEvent:
		item.Event = Event{Type: eventType(c.event_type), Data: goString(c.data), ID: goString(c.id), Retry: -1}
		if c.retry_ms >= 0 {
			item.Event.Retry = time.Duration(c.retry_ms) * time.Millisecond
		}
	case KindComment:
		item.Comment = goString(c.data)
	case KindOpen, KindRetrying, KindClosed:
		if count := int(C.sselink_stream_item_header_count(st.ptr)); count > 0 {
			item.Header = make(http.Header, count)
			for i := range count {
				var name, value C.sselink_str
				if C.sselink_stream_item_header(st.ptr, C.size_t(i), &name, &value) == C.SSELINK_RESULT_OK {
					item.Header.Add(goString(name), goString(value))
				}
			}
		}
		item.Body = goString(C.sselink_stream_item_body(st.ptr))
		if c.error != C.SSELINK_RESULT_OK {
			e := &Error{Code: Code(c.error), Status: item.Status, Message: goString(c.message)}
			if cause := C.sselink_stream_item_cause(st.ptr); cause != C.SSELINK_RESULT_OK {
				e.last = &Error{Code: Code(cause), Status: item.Status}
			}
			item.Err = e
		}
	}
	if item.Kind == KindClosed {
		st.finished.Store(true)
	}
	return item
}

// Next waits for the next item. After the closing item, or once the stream
// is closed, it returns ErrClosed. ctx bounds this call's wait only: it
// neither closes the stream nor ends another goroutine's Next.
func (s *Stream) Next(ctx context.Context) (Item, error) {
	defer runtime.KeepAlive(s)
	return s.s.next(ctx)
}

func (st *stream) next(ctx context.Context) (Item, error) {
	for {
		// Queued items are taken without a trip through the poller.
		item, ok, err := st.poll()
		if ok || err != nil {
			return item, err
		}
		// One goroutine at a time waits in the poller; the others wait
		// here, each for its own context.
		select {
		case st.waiting <- struct{}{}:
		case <-ctx.Done():
			return Item{}, ctx.Err()
		case <-st.done:
			return Item{}, ErrClosed
		}
		item, ok, err = st.wait(ctx)
		<-st.waiting
		if ok || err != nil {
			return item, err
		}
	}
}

// wait waits in the poller until an item is taken, the stream is closed,
// or ctx is done. The caller holds the waiting token, so the read deadline
// that ends the wait for ctx is this goroutine's alone.
func (st *stream) wait(ctx context.Context) (item Item, ok bool, err error) {
	if ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			st.file.SetReadDeadline(time.Unix(1, 0))
			close(fired)
		})
		defer func() {
			if !stop() {
				<-fired
				st.file.SetReadDeadline(time.Time{})
			}
		}()
	}
	readErr := st.raw.Read(func(uintptr) bool {
		item, ok, err = st.poll()
		return ok || err != nil
	})
	switch {
	case ok || err != nil:
		return item, ok, err
	case ctx.Err() != nil:
		return Item{}, false, ctx.Err()
	case readErr != nil:
		return Item{}, false, ErrClosed
	}
	return Item{}, false, nil
}

// Items yields every item (lifecycle included) until the stream is finished
// or closed, waiting without holding an OS thread.
func (s *Stream) Items() iter.Seq[Item] {
	return func(yield func(Item) bool) {
		for {
			item, err := s.Next(context.Background())
			if err != nil || !yield(item) || item.Kind == KindClosed {
				return
			}
		}
	}
}

// Events yields the events, then, if the stream ended on an error, that
// error once (with a zero Event). It ends when the stream is finished or
// closed.
func (s *Stream) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for item := range s.Items() {
			switch {
			case item.Kind == KindEvent:
				if !yield(item.Event, nil) {
					return
				}
			case item.Kind == KindClosed && item.Err != nil:
				yield(Event{}, item.Err)
				return
			}
		}
	}
}

// Close closes the stream: at once, from any goroutine, also while others
// wait in Next or range over it (they return ErrClosed). The library's
// reader thread is waited for, up to five seconds, before the stream's
// memory is freed. Close may also be called from a header provider or a
// logger; there, and whenever other calls on the stream are in progress,
// it does not wait: the memory is freed once those calls return. Closing
// twice is harmless.
func (s *Stream) Close() error {
	runtime.SetFinalizer(s, nil)
	s.s.close()
	return nil
}

func (st *stream) close() {
	st.closeOnce.Do(func() {
		st.stopCtx()
		// st.ptr is freed only after this Do returns.
		C.sselink_stream_close(st.ptr)
		close(st.done)  // wakes goroutines waiting for the poller
		st.file.Close() // wakes the goroutine parked in the poller
	})
	// Freeing waits for the calls in progress (they hold st.mu for reading)
	// and for the reader thread. A Close made inside such a call (a header
	// provider during Post, a logger) cannot wait for it, nor can a Close
	// on the reader thread wait for another Close that waits for that
	// thread: the stream is then freed in the background as soon as the
	// calls in progress return.
	if st.mu.TryLock() {
		st.freeLocked()
		st.mu.Unlock()
		return
	}
	go func() {
		st.mu.Lock()
		st.freeLocked()
		st.mu.Unlock()
	}()
}

// freeLocked waits (a bounded time) for the reader thread and frees the C
// stream, keeping what LastEventID and Dropped report; st.mu is held.
func (st *stream) freeLocked() {
	if st.ptr == nil {
		return
	}
	C.sselink_stream_close_and_wait(st.ptr, 5000)
	st.finalID = st.lastEventIDLocked()
	st.finalDropped = uint64(C.sselink_stream_dropped(st.ptr))
	C.sselink_stream_free(st.ptr)
	st.ptr = nil
}

// State is where the stream is now; StateClosed once closed.
func (s *Stream) State() State {
	defer runtime.KeepAlive(s)
	st := s.s
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.ptr == nil {
		return StateClosed
	}
	return State(C.sselink_stream_state(st.ptr))
}

// Dropped counts the events an overflow policy dropped; after Close, the
// count at Close.
func (s *Stream) Dropped() uint64 {
	defer runtime.KeepAlive(s)
	st := s.s
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.ptr == nil {
		return st.finalDropped
	}
	return uint64(C.sselink_stream_dropped(st.ptr))
}

// LastEventID is the id of the last event handed out (or the seeded one):
// what a new stream must resume from. It stays readable after Close, so a
// program can save it at shutdown.
func (s *Stream) LastEventID() string {
	defer runtime.KeepAlive(s)
	st := s.s
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.ptr == nil {
		return st.finalID
	}
	return st.lastEventIDLocked()
}

// lastEventIDLocked copies the last event id out of the C stream; st.mu is
// held and st.ptr is live.
func (st *stream) lastEventIDLocked() string {
	var length C.size_t
	C.sselink_stream_last_event_id(st.ptr, nil, 0, &length)
	buffer := make([]byte, int(length)+1)
	for C.sselink_stream_last_event_id(st.ptr, (*C.char)(unsafe.Pointer(&buffer[0])), C.size_t(len(buffer)), &length) == C.SSELINK_RESULT_BUFFER_TOO_SMALL {
		buffer = make([]byte, int(length)+1)
	}
	return string(buffer[:length])
}

// Restart drops the current connection and reconnects at once with the
// last event id. ErrClosed when the stream is finished.
func (s *Stream) Restart() error {
	defer runtime.KeepAlive(s)
	st := s.s
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.ptr == nil {
		return ErrClosed
	}
	if result := C.sselink_stream_restart(st.ptr); result != C.SSELINK_RESULT_OK {
		return ErrClosed
	}
	return nil
}

// PostResponse is the final answer to a post, whatever its status.
type PostResponse struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
}

// postError is the error of a failed post: its code, and when the library
// says more, its message and the last HTTP status (releasing failure).
func postError(result C.enum_sselink_result, failure *C.sselink_post_error) error {
	if failure == nil {
		return codeError(result, "")
	}
	defer C.sselink_post_error_free(failure)
	return &Error{
		Code:    Code(result),
		Status:  int(C.sselink_post_error_status(failure)),
		Message: goString(C.sselink_post_error_message(failure)),
	}
}

// Post sends body (JSON) through the write path and waits for the final
// response, retrying 429, 5xx and network errors with backoff (see the
// PostURL, PostAttempts, PostDelay and PostTimeout options). Closing the
// stream interrupts it with ErrClosed. Without a response, the *Error says
// why: ErrDeadline carries the last attempt's Status and says when the
// server's Retry-After lies beyond the deadline; ErrIncompleteBody means the
// response (its Status) was cut off; ErrTLS is final unless RetryTLSErrors.
//
// A ctx that is already done sends nothing: Post returns ctx.Err(). ctx's
// deadline bounds the library's attempts. When ctx is done while the request
// is in flight, Post returns ctx.Err() at once, but the attempt under way
// finishes in the background, and retries follow until the deadline or
// PostTimeout ends them: the server may receive the request, even more than
// once, after Post returned. Close the stream to stop them.
func (s *Stream) Post(ctx context.Context, body []byte) (*PostResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	timeout := C.int32_t(-1)
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline).Milliseconds()
		if left <= 0 {
			return nil, context.DeadlineExceeded
		}
		timeout = C.int32_t(min(left, 1<<31-1))
	}
	type outcome struct {
		response *PostResponse
		err      error
	}
	done := make(chan outcome, 1)
	go func() {
		response, err := s.s.post(body, timeout)
		done <- outcome{response, err}
	}()
	select {
	case o := <-done:
		if errors.Is(o.err, ErrDeadline) && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return o.response, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (st *stream) post(body []byte, timeout C.int32_t) (*PostResponse, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.ptr == nil {
		return nil, ErrClosed
	}
	data, length := cBytes(body)
	var response *C.sselink_post_response
	var failure *C.sselink_post_error
	result := C.sselink_stream_post_with_error(st.ptr, data, length, timeout, &response, &failure)
	runtime.KeepAlive(body)
	if result != C.SSELINK_RESULT_OK {
		return nil, postError(result, failure)
	}
	defer C.sselink_post_response_free(response)
	out := &PostResponse{
		Status:   int(C.sselink_post_response_status(response)),
		Attempts: int(C.sselink_post_response_attempts(response)),
		Body:     []byte(goString(C.sselink_post_response_body(response))),
		Header:   http.Header{},
	}
	for _, name := range []string{"Content-Type", "Retry-After", "Location"} {
		var value C.sselink_str
		n, l := cString(name)
		if C.sselink_post_response_header(response, n, l, &value) == C.SSELINK_RESULT_OK {
			out.Header.Set(name, goString(value))
		}
	}
	return out, nil
}
