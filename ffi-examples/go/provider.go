package sselink

/*
#include <stdlib.h>
#include "sselink.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// sselink_go_header_provider runs on the library's reader thread before each
// connect: it calls the Go provider behind the handle and adds its headers.
//
//export sselink_go_header_provider
func sselink_go_header_provider(userdata unsafe.Pointer, headers *C.sselink_headers) {
	provider := cgo.Handle(*(*C.uintptr_t)(userdata)).Value().(func() [][2]string)
	for _, header := range provider() {
		name, nameLen := cString(header[0])
		value, valueLen := cString(header[1])
		C.sselink_headers_add(headers, name, nameLen, value, valueLen)
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
