package sselink

// #include "sselink.h"
import "C"

import (
	"errors"
	"fmt"
)

// Code is one of the C library's result codes: from 100 on, one kind of
// error each (see sselink_result in include/sselink.h).
type Code int

// The codes an Error can carry.
const (
	CodeNullArgument        Code = C.SSELINK_RESULT_NULL_ARGUMENT
	CodeInvalidArgument     Code = C.SSELINK_RESULT_INVALID_ARGUMENT
	CodePanic               Code = C.SSELINK_RESULT_PANIC
	CodeInvalidConfig       Code = C.SSELINK_RESULT_INVALID_CONFIG
	CodeEndOfStream         Code = C.SSELINK_RESULT_END_OF_STREAM
	CodeDNS                 Code = C.SSELINK_RESULT_DNS
	CodeConnectionRefused   Code = C.SSELINK_RESULT_CONNECTION_REFUSED
	CodeConnectionReset     Code = C.SSELINK_RESULT_CONNECTION_RESET
	CodeTLS                 Code = C.SSELINK_RESULT_TLS
	CodeNetwork             Code = C.SSELINK_RESULT_NETWORK
	CodeConnectTimeout      Code = C.SSELINK_RESULT_CONNECT_TIMEOUT
	CodeIdleTimeout         Code = C.SSELINK_RESULT_IDLE_TIMEOUT
	CodeHTTPStatus          Code = C.SSELINK_RESULT_HTTP_STATUS
	CodeContentType         Code = C.SSELINK_RESULT_CONTENT_TYPE
	CodeRedirect            Code = C.SSELINK_RESULT_REDIRECT
	CodeLimitExceeded       Code = C.SSELINK_RESULT_LIMIT_EXCEEDED
	CodeAttemptsExhausted   Code = C.SSELINK_RESULT_ATTEMPTS_EXHAUSTED
	CodeTimeBudgetExhausted Code = C.SSELINK_RESULT_TIME_BUDGET_EXHAUSTED
	CodeHeaderProvider      Code = C.SSELINK_RESULT_HEADER_PROVIDER
	CodeResource            Code = C.SSELINK_RESULT_RESOURCE
	CodeReaderDied          Code = C.SSELINK_RESULT_READER_DIED
	CodeStreamClosed        Code = C.SSELINK_RESULT_STREAM_CLOSED
	CodeDeadline            Code = C.SSELINK_RESULT_DEADLINE
	CodeProxy               Code = C.SSELINK_RESULT_PROXY
	CodeIncompleteBody      Code = C.SSELINK_RESULT_INCOMPLETE_BODY
)

// Error is what went wrong, as the C library reports it: a code, the HTTP
// status when a response caused it, and a sentence saying what to do.
// errors.Is matches it against the sentinel of its code (ErrHTTPStatus, ...)
// and, for a stream that gave up (ErrAttemptsExhausted,
// ErrTimeBudgetExhausted), against its last attempt's error, which Unwrap
// returns: errors.Is(err, ErrConnectionRefused) holds for a stream that gave
// up on a refused connection.
type Error struct {
	Code    Code
	Status  int
	Message string
	last    *Error
}

func (e *Error) Error() string {
	if e.Message != "" {
		return "sselink: " + e.Message
	}
	return "sselink: " + C.GoString(C.sselink_result_message(C.int32_t(e.Code)))
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	var other *Error
	return errors.As(target, &other) && other.Code == e.Code
}

// Unwrap returns the error of the last attempt behind a stream that gave up,
// or nil.
func (e *Error) Unwrap() error {
	if e.last == nil {
		return nil
	}
	return e.last
}

// Sentinels, one per code, for errors.Is.
var (
	ErrInvalidConfig       = &Error{Code: CodeInvalidConfig}
	ErrEndOfStream         = &Error{Code: CodeEndOfStream}
	ErrDNS                 = &Error{Code: CodeDNS}
	ErrConnectionRefused   = &Error{Code: CodeConnectionRefused}
	ErrConnectionReset     = &Error{Code: CodeConnectionReset}
	ErrTLS                 = &Error{Code: CodeTLS}
	ErrNetwork             = &Error{Code: CodeNetwork}
	ErrConnectTimeout      = &Error{Code: CodeConnectTimeout}
	ErrIdleTimeout         = &Error{Code: CodeIdleTimeout}
	ErrHTTPStatus          = &Error{Code: CodeHTTPStatus}
	ErrContentType         = &Error{Code: CodeContentType}
	ErrRedirect            = &Error{Code: CodeRedirect}
	ErrLimitExceeded       = &Error{Code: CodeLimitExceeded}
	ErrAttemptsExhausted   = &Error{Code: CodeAttemptsExhausted}
	ErrTimeBudgetExhausted = &Error{Code: CodeTimeBudgetExhausted}
	ErrHeaderProvider      = &Error{Code: CodeHeaderProvider}
	ErrResource            = &Error{Code: CodeResource}
	ErrReaderDied          = &Error{Code: CodeReaderDied}
	ErrProxy               = &Error{Code: CodeProxy}
	ErrDeadline            = &Error{Code: CodeDeadline}
	// ErrIncompleteBody: the server answered a post, but its response body
	// was cut off; the server got the post and may have acted on it.
	ErrIncompleteBody = &Error{Code: CodeIncompleteBody}
	// ErrClosed: the stream was closed (by Close, or its context), or its
	// closing item was already handed out.
	ErrClosed = &Error{Code: CodeStreamClosed, Message: "the stream is closed"}
)

func codeError(result C.enum_sselink_result, message string) error {
	if result == C.SSELINK_RESULT_OK {
		return nil
	}
	return &Error{Code: Code(result), Message: message}
}

func (c Code) String() string {
	return fmt.Sprintf("%d (%s)", int(c), C.GoString(C.sselink_result_message(C.int32_t(c))))
}
