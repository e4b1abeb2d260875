//go:build sselink_static

package sselink

// The C library, linked through pkg-config: libsselink.a from an install
// made by capi/install.sh, with the system libraries it needs.

// #cgo pkg-config: sselink-static
import "C"
