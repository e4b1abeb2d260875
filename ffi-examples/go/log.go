package sselink

/*
#include "sselink.h"

extern void sselink_go_log(void *userdata, uint32_t level, sselink_str target, sselink_str message);
*/
import "C"

import (
	"sync/atomic"
	"unsafe"
)

// Level is a log level: LevelError (1) to LevelTrace (5); LevelOff turns
// logging off.
type Level uint32

// The log levels.
const (
	LevelOff   Level = 0
	LevelError Level = 1
	LevelWarn  Level = 2
	LevelInfo  Level = 3
	LevelDebug Level = 4
	LevelTrace Level = 5
)

// logger is the function SetLogger installed, with its level. A record is
// checked against the level of the logger it reaches: during a switch the
// library may still pass on a record allowed by the level it replaces.
type logger struct {
	log func(Level, string, string)
	max Level
}

var current atomic.Pointer[logger]

// SetLogger sends the library's log records up to max to log, through the
// library's redacting filter: no record carries a header value of a
// sensitive header, a query value, URL userinfo, a proxy credential or a
// body. log runs on the library's threads (foreign threads for Go), never
// inside a call the program made; keep it short. A panic in log is
// recovered and the record dropped. log may close a stream (Close does not
// wait for the reader thread it runs on) and may call SetLogger. A nil log
// turns logging off. When SetLogger returns, the function it replaced is no
// longer running on another thread and is not called again. It fails when
// the process already has another Rust logger.
func SetLogger(log func(level Level, target, message string), max Level) error {
	if log == nil {
		current.Store(nil)
		return codeError(C.sselink_log_set_callback(nil, nil, 0), "")
	}
	current.Store(&logger{log: log, max: max})
	return codeError(C.sselink_log_set_callback(C.sselink_log_callback(C.sselink_go_log), nil, C.uint32_t(max)), "")
}

//export sselink_go_log
func sselink_go_log(_ unsafe.Pointer, level C.uint32_t, target, message C.sselink_str) {
	defer func() { _ = recover() }() // a panicking logger loses its record, not the process
	if l := current.Load(); l != nil && Level(level) <= l.max {
		l.log(Level(level), goString(target), goString(message))
	}
}
