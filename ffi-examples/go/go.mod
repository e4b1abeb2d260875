module github.com/sselink/sselink/ffi-examples/go

go 1.23
