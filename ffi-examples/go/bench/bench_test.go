// Package bench reads the same loopback stream with this package, with
// github.com/tmaxmax/go-sse and with github.com/r3labs/sse, and reports
// events per second and allocations per event, for 64 B and 64 KiB events.
// It is a module of its own, so the package's tests never compile the
// peers. Run: go test -bench . -benchtime 3x (ffi-examples/go/README.md).
package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	r3labs "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"sselink"
)

// events is how many events one benchmark run reads.
var events = map[int]int{64: 500_000, 64 << 10: 5_000}

// flood serves `count` events of `size` bytes of data on every connection,
// then holds the connection open until the client leaves.
func flood(b *testing.B, size, count int) string {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	event := "data: " + strings.Repeat("x", size) + "\n\n"
	batch := strings.Repeat(event, max(1, 64<<10/len(event)))
	perBatch := strings.Count(batch, "\n\n")
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		sent := 0
		for sent+perBatch <= count {
			if _, err := w.Write([]byte(batch)); err != nil {
				return
			}
			sent += perBatch
		}
		for ; sent < count; sent++ {
			w.Write([]byte(event))
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})}
	go server.Serve(listener)
	b.Cleanup(func() { server.Close() })
	return "http://" + listener.Addr().String() + "/"
}

func run(b *testing.B, size int, read func(url string, count int)) {
	count := events[size]
	b.ReportAllocs()
	b.SetBytes(int64(size) * int64(count))
	for b.Loop() {
		b.StopTimer()
		url := flood(b, size, count)
		b.StartTimer()
		read(url, count)
	}
	b.ReportMetric(float64(count)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func sselinkRead(url string, count int) {
	s, err := sselink.Connect(context.Background(), url, sselink.Reconnect(false))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	n := 0
	for _, err := range s.Events() {
		if err != nil {
			panic(err)
		}
		if n++; n == count {
			return
		}
	}
}

func goSSERead(url string, count int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	request, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	connection := gosse.NewConnection(request)
	connection.Buffer(make([]byte, 0, 128<<10), 128<<10) // its default refuses 64 KiB events
	n := 0
	connection.SubscribeMessages(func(gosse.Event) {
		if n++; n == count {
			cancel()
		}
	})
	connection.Connect()
}

func r3labsRead(url string, count int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := r3labs.NewClient(url, r3labs.ClientMaxBufferSize(128<<10))
	n := 0
	client.SubscribeRawWithContext(ctx, func(*r3labs.Event) {
		if n++; n == count {
			cancel()
		}
	})
}

func Benchmark(b *testing.B) {
	clients := []struct {
		name string
		read func(string, int)
	}{{"sselink", sselinkRead}, {"go-sse", goSSERead}, {"r3labs-sse", r3labsRead}}
	for _, size := range []int{64, 64 << 10} {
		for _, client := range clients {
			b.Run(fmt.Sprintf("%dB/%s", size, client.name), func(b *testing.B) {
				run(b, size, client.read)
			})
		}
	}
	_ = time.Second
}
