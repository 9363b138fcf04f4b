// Command hookrecv is the enterprise's webhook receiver for
// testdata/sipp/bench-outbox.sh (make bench): it answers every push 200 at
// once, counts what it got, and tells on GET /stats. It checks only that a
// push is signed (an X-AKSK header naming the app); the e2e tests check
// signatures and fields in full (cmd/xnum/e2e_events_test.go).
//
// It serves with fasthttp, as xnum pushes with it (docs/OPERATIONS.md): on
// the 2-core bench box the receiver shares the CPU with xnum and both
// SIPps, and net/http's server took ~50 µs a push there, fasthttp's ~15 —
// CPU the bench would otherwise take from xnum.
//
//	go run ./testdata/sipp/hookrecv -listen 127.0.78.6:18090
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18090", "address to listen on")
	flag.Parse()
	var events, fees, feePushes, unsigned atomic.Int64
	handler := func(c *fasthttp.RequestCtx) {
		method, path := string(c.Method()), string(c.Path())
		switch {
		case method == fasthttp.MethodPost && path == "/status":
			if len(c.Request.Header.Peek("X-AKSK")) == 0 {
				unsigned.Add(1)
			}
			events.Add(1)
		case method == fasthttp.MethodPost && path == "/fee":
			if len(c.Request.Header.Peek("X-AKSK")) == 0 {
				unsigned.Add(1)
			}
			// Records are counted by their "icid" keys: no JSON decoding on
			// the receiver's hot path.
			fees.Add(int64(bytes.Count(c.PostBody(), []byte(`"icid":`))))
			feePushes.Add(1)
		case method == fasthttp.MethodGet && path == "/stats":
			fmt.Fprintf(c, "events %d\nfees %d\nfee_pushes %d\nunsigned %d\n",
				events.Load(), fees.Load(), feePushes.Load(), unsigned.Load())
		default:
			c.SetStatusCode(fasthttp.StatusNotFound)
		}
	}
	srv := &fasthttp.Server{Handler: handler, Name: "hookrecv"}
	log.Printf("hookrecv listening on %s", *listen)
	log.Fatal(srv.ListenAndServe(*listen))
}
