// Command peers is the Go client of the benchmark: sselink's Go package and
// the Go peers github.com/tmaxmax/go-sse and github.com/r3labs/sse, each in
// its own process so that its CPU time, memory and threads are its own.
//
//	peers <client> flood   <url> <events>
//	peers <client> latency <url> <events>
//	peers <client> idle    <url> <streams>
//	peers <client> close   <url> <rounds>
//
// Clients: sselink-go, go-sse, r3labs-sse. Prints one JSON object, as the
// Rust and C clients do. Run by benches/peers/run.py.
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	r3labs "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"
	"golang.org/x/sys/unix"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

func monotonicNs() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return uint64(ts.Sec)*1e9 + uint64(ts.Nsec)
}

func cpuSeconds() float64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func status(field string) float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			v, _ := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			return v
		}
	}
	return 0
}

func percentiles(samples []uint64) (p50, p99, max float64) {
	if len(samples) == 0 {
		return 0, 0, 0
	}
	slices.Sort(samples)
	at := func(q float64) float64 {
		return float64(samples[int(float64(len(samples)-1)*q+0.5)]) / 1e3
	}
	return at(0.5), at(0.99), at(1)
}

// subscribe reads the stream at url with the client, calling onData for each
// event until it returns false or ctx ends.
func subscribe(ctx context.Context, client, url string, onData func(string) bool) {
	switch client {
	case "sselink-go":
		s, err := sselink.Connect(ctx, url)
		if err != nil {
			panic(err)
		}
		defer s.Close()
		for event, err := range s.Events() {
			if err != nil || !onData(event.Data) {
				return
			}
		}
	case "go-sse":
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		request, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
		connection := gosse.NewConnection(request)
		connection.Buffer(make([]byte, 0, 128<<10), 128<<10) // its default refuses 64 KiB events
		connection.SubscribeMessages(func(event gosse.Event) {
			if !onData(event.Data) {
				cancel()
			}
		})
		connection.Connect()
	case "r3labs-sse":
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		c := r3labs.NewClient(url, r3labs.ClientMaxBufferSize(128<<10))
		c.SubscribeRawWithContext(ctx, func(event *r3labs.Event) {
			if !onData(string(event.Data)) {
				cancel()
			}
		})
	default:
		panic("unknown client " + client)
	}
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: peers <client> <flood|latency|idle|close> <url> <n>")
		os.Exit(2)
	}
	client, mode, url := os.Args[1], os.Args[2], os.Args[3]
	n, err := strconv.Atoi(os.Args[4])
	if err != nil {
		panic(err)
	}
	switch mode {
	case "flood", "latency":
		start, cpu := time.Now(), cpuSeconds()
		var delays []uint64
		seen, bytes := 0, 0
		subscribe(context.Background(), client, url, func(data string) bool {
			if mode == "latency" {
				now := monotonicNs()
				sent, _ := strconv.ParseUint(strings.TrimSpace(data[:20]), 10, 64)
				delays = append(delays, now-min(now, sent))
			}
			bytes += len(data)
			seen++
			return seen < n
		})
		if seen != n {
			panic(fmt.Sprintf("%s read %d events, not %d", client, seen, n))
		}
		p50, p99, max := percentiles(delays)
		fmt.Printf("{\"events\":%d,\"bytes\":%d,\"secs\":%f,\"cpu\":%f,\"p50_us\":%f,\"p99_us\":%f,\"max_us\":%f}\n",
			n, bytes, time.Since(start).Seconds(), cpuSeconds()-cpu, p50, p99, max)
	case "idle":
		rss, threads := status("VmRSS:"), status("Threads:")
		ready := make(chan struct{}, n)
		for range n {
			go subscribe(context.Background(), client, url, func(string) bool {
				ready <- struct{}{}
				return true
			})
		}
		for range n {
			<-ready
		}
		fmt.Printf("{\"streams\":%d,\"kib_per_stream\":%.1f,\"threads_per_stream\":%.2f}\n",
			n, (status("VmRSS:")-rss)/float64(n), (status("Threads:")-threads)/float64(n))
	case "close":
		closeRounds(client, n)
	default:
		panic("unknown mode " + mode)
	}
}

// closeRounds measures, n times, the time from closing a stream blocked in a
// read of a silent connection to an in-process server seeing it closed.
func closeRounds(client string, n int) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	url := "http://" + listener.Addr().String() + "/silent"
	var delays []uint64
	for range n {
		eof := make(chan uint64, 1)
		opened := make(chan struct{}, 1)
		go func() {
			conn, err := listener.Accept()
			if err != nil {
				panic(err)
			}
			reader := bufio.NewReader(conn)
			for {
				line, err := reader.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: go\n\n")
			opened <- struct{}{}
			buf := make([]byte, 512)
			for {
				if _, err := conn.Read(buf); err != nil {
					break
				}
			}
			eof <- monotonicNs()
			conn.Close()
		}()
		ctx, cancel := context.WithCancel(context.Background())
		var closedAt uint64
		done := make(chan struct{})
		if client == "sselink-go" {
			s, err := sselink.Connect(ctx, url)
			if err != nil {
				panic(err)
			}
			<-opened
			go func() {
				for range s.Events() {
				}
				close(done)
			}()
			time.Sleep(5 * time.Millisecond)
			closedAt = monotonicNs()
			s.Close()
		} else {
			go func() {
				subscribe(ctx, client, url, func(string) bool { return true })
				close(done)
			}()
			<-opened
			time.Sleep(5 * time.Millisecond)
			closedAt = monotonicNs()
			cancel()
		}
		delays = append(delays, <-eof-closedAt)
		cancel()
		<-done
	}
	p50, p99, max := percentiles(delays)
	fmt.Printf("{\"rounds\":%d,\"p50_us\":%f,\"p99_us\":%f,\"max_us\":%f}\n", n, p50, p99, max)
}
