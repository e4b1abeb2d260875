//go:build !sselink_static

package sselink

// The C library, linked through pkg-config: libsselink.so from an install
// made by capi/install.sh (build with -tags sselink_static for libsselink.a).

// #cgo pkg-config: sselink
import "C"
