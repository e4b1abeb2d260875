// Command ssetail follows a Server-Sent Events stream and prints each event
// as "type<TAB>id<TAB>data"; lifecycle goes to stderr. It ends on Ctrl-C, on
// the server's 204, or with -n after that many events.
//
//	go run ./cmd/ssetail -H 'Authorization: Bearer TOKEN' -n 10 https://example.com/events
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	var extra headers
	flag.Var(&extra, "H", "add a request header 'Name: value' (repeatable)")
	count := flag.Int("n", 0, "exit after this many events (0: never)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: ssetail [-H 'Name: value']... [-n N] URL")
		os.Exit(2)
	}
	var options []sselink.Option
	for _, h := range extra {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "ssetail: header %q is not 'Name: value'\n", h)
			os.Exit(2)
		}
		options = append(options, sselink.Header(strings.TrimSpace(name), strings.TrimSpace(value)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	stream, err := sselink.Connect(ctx, flag.Arg(0), options...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ssetail:", err)
		os.Exit(2)
	}
	defer stream.Close()
	seen := 0
	for item := range stream.Items() {
		switch item.Kind {
		case sselink.KindEvent:
			fmt.Printf("%s\t%s\t%s\n", item.Event.Type, item.Event.ID, item.Event.Data)
			if seen++; *count > 0 && seen >= *count {
				return
			}
		case sselink.KindOpen:
			fmt.Fprintf(os.Stderr, "open: HTTP %d\n", item.Status)
		case sselink.KindRetrying:
			fmt.Fprintf(os.Stderr, "retrying in %v: %v\n", item.Delay, item.Err)
		case sselink.KindClosed:
			if item.Err != nil {
				fmt.Fprintln(os.Stderr, "ssetail:", item.Err)
				stream.Close()
				os.Exit(1)
			}
			fmt.Fprintln(os.Stderr, "closed")
		}
	}
}
