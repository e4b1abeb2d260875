package sselink

/*
#include <stdlib.h>
#include "sselink.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// sselink_go_header_provider runs before each connect (on the library's
// reader thread) and each post attempt: it calls the Go provider behind the
// handle and adds its headers. A panic in the provider is recovered and
// fails the attempt, which the stream reports as ErrHeaderProvider; a
// header that is not UTF-8 fails it the same way.
//
//export sselink_go_header_provider
func sselink_go_header_provider(userdata unsafe.Pointer, headers *C.sselink_headers) {
	defer func() {
		if r := recover(); r != nil {
			reason, length := cString(fmt.Sprintf("the Go provider panicked: %v", r))
			C.sselink_headers_fail(headers, reason, length)
		}
	}()
	provider := cgo.Handle(*(*C.uintptr_t)(userdata)).Value().(func() [][2]string)
	for _, header := range provider() {
		name, nameLen := cString(header[0])
		value, valueLen := cString(header[1])
		if C.sselink_headers_add(headers, name, nameLen, value, valueLen) != C.SSELINK_RESULT_OK {
			return // the library failed the attempt: nothing is sent
		}
	}
}

// sselink_go_release runs once no configuration or stream uses the provider:
// it deletes the handle and frees the C memory that carried it.
//
//export sselink_go_release
func sselink_go_release(userdata unsafe.Pointer) {
	slot := (*C.uintptr_t)(userdata)
	cgo.Handle(*slot).Delete()
	C.free(unsafe.Pointer(slot))
}
