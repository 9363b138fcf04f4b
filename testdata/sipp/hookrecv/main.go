// Command hookrecv is the enterprise's webhook receiver for
// testdata/sipp/bench-outbox.sh (make bench): it answers every push 200 at
// once, counts what it got, and tells on GET /stats. It checks only that a
// push is signed (an X-AKSK header naming the app); the e2e tests check
// signatures and fields in full (cmd/xnum/e2e_events_test.go).
//
//	go run ./testdata/sipp/hookrecv -listen 127.0.78.6:18090
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18090", "address to listen on")
	flag.Parse()
	var events, fees, feePushes, unsigned atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /status", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-AKSK") == "" {
			unsigned.Add(1)
		}
		events.Add(1)
	})
	mux.HandleFunc("POST /fee", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-AKSK") == "" {
			unsigned.Add(1)
		}
		// Records are counted by their "icid" keys: no JSON decoding on
		// the receiver's hot path.
		fees.Add(int64(bytes.Count(body, []byte(`"icid":`))))
		feePushes.Add(1)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "events %d\nfees %d\nfee_pushes %d\nunsigned %d\n",
			events.Load(), fees.Load(), feePushes.Load(), unsigned.Load())
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("hookrecv listening on %s", *listen)
	log.Fatal(srv.ListenAndServe())
}
