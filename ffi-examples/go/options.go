package sselink

// Options, one per setter of the C library's sselink_config, with the same
// names (in Go's case) and defaults; docs/options.md lists them all.
// Durations are time.Duration here, milliseconds in C.

/*
#include <stdlib.h>
#include "sselink.h"

extern void sselink_go_header_provider(void *userdata, sselink_headers *headers);
extern void sselink_go_release(void *userdata);
*/
import "C"

import (
	"runtime/cgo"
	"time"
	"unsafe"
)

// Option sets one option of a stream, for Connect.
type Option func(config *C.sselink_config) C.enum_sselink_result

func ms(d time.Duration) C.uint64_t {
	if d < 0 {
		return 0
	}
	return C.uint64_t(d / time.Millisecond)
}

func cBool(b bool) C.bool { return C.bool(b) }

// OverflowPolicy says what a full channel does; for Overflow.
type OverflowPolicy uint32

// The overflow policies.
const (
	OverflowBlock      OverflowPolicy = C.SSELINK_OVERFLOW_BLOCK
	OverflowDropOldest OverflowPolicy = C.SSELINK_OVERFLOW_DROP_OLDEST
	OverflowDropNewest OverflowPolicy = C.SSELINK_OVERFLOW_DROP_NEWEST
)

// Shape is how jitter applies; for JitterShape.
type Shape uint32

// The jitter shapes: Add only ever lengthens a delay and never undercuts the
// server's retry; Scale shortens each delay by up to the jitter fraction and
// is never longer than the doubling delay; Around spreads it both ways after
// the cap. Scale and Around may wait less than the server's retry.
const (
	JitterAdd    Shape = C.SSELINK_JITTER_SHAPE_ADD
	JitterScale  Shape = C.SSELINK_JITTER_SHAPE_SCALE
	JitterAround Shape = C.SSELINK_JITTER_SHAPE_AROUND
)

// Header sets the header option. Adds a request header sent on every connect. A name that is not an HTTP
// token, a value with a control character, or a header that frames the
// request (`Content-Length`, `Transfer-Encoding`, `Host`, `Connection` and
// the like) gives `ErrInvalidConfig`, as does a header over
// 64 KiB; connecting refuses a request head (URL and headers) over 64 KiB.
// A caller's `Accept` or `Cache-Control` replaces sselink's.
// `Authorization`, `Cookie` and `Proxy-Authorization` are never sent to
// another origin after a redirect.
func Header(name string, value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cName, lName := cString(name)
		cValue, lValue := cString(value)
		return C.sselink_config_header(config, cName, lName, cValue, lValue)
	}
}

// SensitiveHeader sets the sensitive_header option. Like `header`, for a header that carries a credential (an
// API key): never sent to another origin after a redirect, never logged.
func SensitiveHeader(name string, value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cName, lName := cString(name)
		cValue, lValue := cString(value)
		return C.sselink_config_sensitive_header(config, cName, lName, cValue, lValue)
	}
}

// Query sets the query option. Appends a query parameter to the URL (percent-encoded by sselink).
func Query(name string, value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cName, lName := cString(name)
		cValue, lValue := cString(value)
		return C.sselink_config_query(config, cName, lName, cValue, lValue)
	}
}

// Method sets the method option. Sets the method: `GET` by default; `POST`, `REPORT` or any HTTP token.
func Method(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_method(config, cValue, lValue)
	}
}

// Body sets the body option. Sets the request body, sent again on every connect (copied). Default none.
func Body(bytes []byte) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cBytes, lBytes := cBytes(bytes)
		return C.sselink_config_body(config, cBytes, lBytes)
	}
}

// LastEventID sets the last_event_i_d option. Seeds the last event id, sent as `Last-Event-ID` on the first connect.
// A control character gives `ErrInvalidConfig`.
func LastEventID(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_last_event_id(config, cValue, lValue)
	}
}

// ResumeQuery sets the resume_query option. Also sends the last event id as query parameter `value` on every connect
// that has one (such as `from_sequence_num`). Default none.
func ResumeQuery(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_resume_query(config, cValue, lValue)
	}
}

// ConnectTimeout sets the connect_timeout option. Limit on resolving and connecting (TCP and TLS), and on each write of the
// request (a server that takes no byte of it for this long fails the
// attempt): from 1 ms to a year; default 10 s.
func ConnectTimeout(d time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_connect_timeout(config, ms(d))
	}
}

// IdleTimeout sets the idle_timeout option. The idle timer: when no byte arrives for this long, the
// connection is treated as dead and re-established. 0 turns it off; at most
// a year; default 45 s.
func IdleTimeout(d time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_idle_timeout(config, ms(d))
	}
}

// Reconnect sets the reconnect option. Turns reconnecting on (true, the default) or off: off, the stream
// closes when its first connection ends.
func Reconnect(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_reconnect(config, cBool(enabled))
	}
}

// ReconnectDelay sets the reconnect_delay option. Sets the initial reconnection time and the cap of the doubling delay
// (default 1 s and 30 s; each at most a year).
func ReconnectDelay(initial time.Duration, max time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_reconnect_delay(config, ms(initial), ms(max))
	}
}

// Jitter sets the jitter option. Random extra of up to this fraction of each delay: from 0 to 1; default
// 0.5. NaN or a value outside gives `ErrInvalidConfig`.
func Jitter(fraction float64) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_jitter(config, C.double(fraction))
	}
}

// MaxAttempts sets the max_attempts option. Gives up when this many reconnect attempts in a row have failed; 0
// (the default) never gives up. The failed connect or dropped connection that starts an outage is not counted, so
// a server that never answers is tried 1 + attempts times.
func MaxAttempts(attempts uint32) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_max_attempts(config, C.uint32_t(attempts))
	}
}

// TimeBudget sets the time_budget option. Gives up when one outage lasts longer than this; 0
// (the default) never gives up.
func TimeBudget(d time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_time_budget(config, ms(d))
	}
}

// HealthyAfter sets the healthy_after option. A connection open this long resets the failure count
// (default 60 s; delivering an event does too).
func HealthyAfter(d time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_healthy_after(config, ms(d))
	}
}

// StrictStatus sets the strict_status option. Strict status policy (true): every non-2xx status closes the stream.
// Default false: 408, 429 and 5xx are retried.
func StrictStatus(strict bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_strict_status(config, cBool(strict))
	}
}

// RetryStatus sets the retry_status option. Retries this HTTP status whatever the rest of the policy says.
func RetryStatus(status int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_retry_status(config, C.uint16_t(status))
	}
}

// PermanentStatus sets the permanent_status option. Closes the stream on this HTTP status whatever the rest of the policy
// says.
func PermanentStatus(status int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_permanent_status(config, C.uint16_t(status))
	}
}

// MaxRedirects sets the max_redirects option. How many redirects one connect follows (default 10; 0 follows none).
func MaxRedirects(max uint32) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_max_redirects(config, C.uint32_t(max))
	}
}

// InsecureRedirects sets the insecure_redirects option. Follows a redirect from an `https` URL to an `http` one (true). Default
// false: such a redirect closes the stream with ErrRedirect, since following
// it would send the request and the stream in clear text.
func InsecureRedirects(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_insecure_redirects(config, cBool(enabled))
	}
}

// MaxLineLength sets the max_line_length option. The longest line accepted, in bytes (default 16 MiB; at least 1).
func MaxLineLength(bytes int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_max_line_length(config, C.size_t(bytes))
	}
}

// MaxEventSize sets the max_event_size option. The largest event accepted, in bytes: data as dispatched, type and id
// together (default 16 MiB; at least 1).
func MaxEventSize(bytes int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_max_event_size(config, C.size_t(bytes))
	}
}

// Capacity sets the capacity option. How many events and comments the channel to the caller
// holds: from 1 to 65536; default 256. Lifecycle items take no place of it: up to 64 wait
// apart, and past that the reader waits for the caller under every overflow policy.
func Capacity(items int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_capacity(config, C.size_t(items))
	}
}

// MaxQueuedBytes sets the max_queued_bytes option. The most bytes of events and comments the channel holds (default 64 MiB;
// at least 1). With `capacity` it bounds a slow consumer's
// memory; whichever bound is reached first makes the channel full.
func MaxQueuedBytes(bytes int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_max_queued_bytes(config, C.size_t(bytes))
	}
}

// Overflow sets the overflow option. What the reader does when the channel is full:
// OverflowBlock (the default), OverflowDropOldest or OverflowDropNewest.
// Another number gives an *Error with CodeInvalidArgument.
func Overflow(overflow OverflowPolicy) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_overflow(config, C.uint32_t(overflow))
	}
}

// JitterShape sets the jitter_shape option. How the jitter applies: JitterAdd (the default), JitterScale or
// JitterAround (see Shape). Another number gives an *Error with CodeInvalidArgument.
func JitterShape(shape Shape) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_jitter_shape(config, C.uint32_t(shape))
	}
}

// ResetOnOpen sets the reset_on_open option. Resets the failure count as soon as a connection opens (true): a
// server that accepts each connection and then drops it is retried after the first delay every time. Default
// false: the count resets only after a healthy period or an event.
func ResetOnOpen(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_reset_on_open(config, cBool(enabled))
	}
}

// ServerRetry sets the server_retry option. Uses the server's `retry` field as the reconnection time (default true);
// false ignores it, and the delays follow ReconnectDelay alone.
func ServerRetry(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_server_retry(config, cBool(enabled))
	}
}

// RetryAllStatuses sets the retry_all_statuses option. Retries every non-2xx status except the permanent ones given with
// `permanent_status` (and 204, which closes). Default false.
func RetryAllStatuses(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_retry_all_statuses(config, cBool(enabled))
	}
}

// AnyContentType sets the any_content_type option. Accepts any 2xx response as an event stream, whatever its Content-Type.
// Default false.
func AnyContentType(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_any_content_type(config, cBool(enabled))
	}
}

// ResumeFromHighestID sets the resume_from_highest_id option. Resumes from the highest numeric id seen instead of
// the last, for servers whose ids are sequence numbers: an older id arriving late never moves the resume point
// back. Default false.
func ResumeFromHighestID(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_resume_from_highest_id(config, cBool(enabled))
	}
}

// FilterEventType sets the filter_event_type option. Delivers only events of this type (call again for more types); the rest
// never cross the channel. Default: every type.
func FilterEventType(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_filter_event_type(config, cValue, lValue)
	}
}

// PostURL sets the post_u_r_l option. Where `sselink_stream_post` sends: by default the stream URL without a
// trailing `/stream`.
func PostURL(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_post_url(config, cValue, lValue)
	}
}

// PostAttempts sets the post_attempts option. How many attempts a post makes at most (default 10; at least 1).
func PostAttempts(attempts uint32) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_post_attempts(config, C.uint32_t(attempts))
	}
}

// PostDelay sets the post_delay option. The first delay between post attempts and its cap
// (default 500 ms and 8 s).
func PostDelay(initial time.Duration, max time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_post_delay(config, ms(initial), ms(max))
	}
}

// PostTimeout sets the post_timeout option. How long a post may take, all attempts included
// (default 60 s; more than zero).
func PostTimeout(d time.Duration) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_post_timeout(config, ms(d))
	}
}

// Comments sets the comments option. Delivers comment lines as `SSELINK_ITEM_KIND_COMMENT` items (default
// false).
func Comments(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_comments(config, cBool(enabled))
	}
}

// DeduplicateIDs sets the deduplicate_i_ds option. Drops an event whose own numeric id was already delivered (for servers
// whose ids are increasing sequence numbers). Default false.
func DeduplicateIDs(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_deduplicate_ids(config, cBool(enabled))
	}
}

// DispatchIncompleteAtEOF sets the dispatch_incomplete_at_e_o_f option. Dispatches an unfinished event when a response ends cleanly (default
// false).
func DispatchIncompleteAtEOF(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_dispatch_incomplete_at_eof(config, cBool(enabled))
	}
}

// RootCertificate sets the root_certificate option. Trusts one more root certificate, PEM or DER (copied), in addition to the
// bundled Mozilla roots. A certificate that does not parse, or empty bytes,
// gives `ErrInvalidConfig`.
func RootCertificate(bytes []byte) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cBytes, lBytes := cBytes(bytes)
		return C.sselink_config_root_certificate(config, cBytes, lBytes)
	}
}

// PlatformRoots sets the platform_roots option. Verifies servers with the platform's certificate store instead of the
// bundled roots (default false).
func PlatformRoots(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_platform_roots(config, cBool(enabled))
	}
}

// RetryTLSErrors sets the retry_tls_errors option. Retries TLS failures met while connecting (true) like network
// errors. Default false: an untrusted, expired or wrong-name certificate, a client certificate the server refuses,
// or a handshake without a common protocol ends the stream with ErrTLS (and a post with it), as in curl and
// browsers, since retrying changes nothing until the certificate or the trusted roots are fixed. A fault the
// server reports on its own side (an internal_error alert) is retried either way.
func RetryTLSErrors(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_retry_tls_errors(config, cBool(enabled))
	}
}

// Proxy sets the proxy option. Connects through the proxy at `value`: `http://[user:password@]host:port`,
// `https://...` (never shown the client certificate), `socks5://`,
// `socks5h://`, `socks4://` or `socks4a://`; credentials go to the proxy
// alone and are never logged. Without it the environment decides
// (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`; `HTTP_PROXY` not when
// `REQUEST_METHOD` is set, as in a CGI program).
func Proxy(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_proxy(config, cValue, lValue)
	}
}

// NoProxy sets the no_proxy option. Hosts that bypass the proxy, comma-separated as `NO_PROXY` is, matched as
// curl matches them (a name covers the names below it; IP networks as
// `127.0.0.0/8`); replaces `NO_PROXY`. `*` turns every proxy off, the
// environment's included.
func NoProxy(value string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cValue, lValue := cString(value)
		return C.sselink_config_no_proxy(config, cValue, lValue)
	}
}

// Compressed sets the compressed option. Asks for a gzip-compressed response and decodes it as it arrives
// (default false); each event still comes as soon as the server flushes it.
func Compressed(enabled bool) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_compressed(config, cBool(enabled))
	}
}

// ClientCertificate sets the client_certificate option. Presents a client certificate (mutual TLS) to servers, never to a proxy:
// `chain` is the certificate and any intermediates as PEM, or one DER
// certificate; `key` its private key as PEM or DER. Either not parsing, a
// key that is not a usable RSA, ECDSA or Ed25519 key, or a key that does
// not belong to the certificate gives `ErrInvalidConfig`. The library's
// copies of `key` are overwritten with zeros once parsed.
func ClientCertificate(chain []byte, key []byte) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		cChain, lChain := cBytes(chain)
		cKey, lKey := cBytes(key)
		return C.sselink_config_client_certificate(config, cChain, lChain, cKey, lKey)
	}
}

// ReaderStackSize sets the reader_stack_size option. The stack size of each stream's reader thread, in bytes: 0 (the
// default) for the system's default, otherwise at least 65536.
func ReaderStackSize(bytes int) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		return C.sselink_config_reader_stack_size(config, C.size_t(bytes))
	}
}

// HeaderProvider sets a function called before every connect and every
// post attempt, whose headers replace configured ones of the same name
// (they count as sensitive: never sent to another origin, never logged).
// For connects it runs on the library's reader thread (a foreign thread for
// Go: keep it short), for posts on the goroutine's thread; it must be safe
// for concurrent use. A panic in it is recovered and fails the attempt,
// with no request sent, as ErrHeaderProvider carrying the panic's value; a
// header that is not UTF-8, one that Header would refuse, or headers that
// take the request head over 64 KiB fail it the same way.
func HeaderProvider(provider func() [][2]string) Option {
	return func(config *C.sselink_config) C.enum_sselink_result {
		// The handle travels through C in C memory, so no Go pointer is kept.
		slot := (*C.uintptr_t)(C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0)))))
		*slot = C.uintptr_t(cgo.NewHandle(provider))
		return C.sselink_config_header_provider(config,
			C.sselink_header_provider(C.sselink_go_header_provider), unsafe.Pointer(slot),
			C.sselink_release(C.sselink_go_release))
	}
}
