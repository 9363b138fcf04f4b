package cdr_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// rawReceiver is a webhook receiver on loopback that reads HTTP/1.1
// requests off the connection itself, one after the other as any HTTP/1.1
// server does, so that the tests see what net/http's server hides: whether
// a request was already waiting behind the one just read (pipelined), how
// many connections there were and how many requests were being answered at
// once.
type rawReceiver struct {
	ln  net.Listener
	got chan push
	// closeAfter: a connection is closed after this many answers (0:
	// never), its last answer saying Connection: close unless silent.
	closeAfter int
	silent     bool
	delay      time.Duration // before each answer
	hold       string        // a session whose push is never answered

	mu        sync.Mutex
	conns     int
	pipelined int // requests read with another already waiting behind
	active    int
	maxActive int // requests being answered at once, at most
}

func startRawReceiver(t *testing.T, rr *rawReceiver) *rawReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr.ln = ln
	rr.got = make(chan push, 10000)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	var open sync.Map
	t.Cleanup(func() { // before the Wait above: cleanups run last first
		open.Range(func(c, _ any) bool { _ = c.(net.Conn).Close(); return true })
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rr.mu.Lock()
			rr.conns++
			rr.mu.Unlock()
			open.Store(c, nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer open.Delete(c)
				rr.serve(c)
			}()
		}
	}()
	return rr
}

func (rr *rawReceiver) url() string { return "http://" + rr.ln.Addr().String() + "/status" }

func (rr *rawReceiver) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for n := 1; ; n++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		waiting := br.Buffered() > 0
		rr.mu.Lock()
		if waiting {
			rr.pipelined++
		}
		rr.active++
		rr.maxActive = max(rr.maxActive, rr.active)
		rr.mu.Unlock()
		if rr.hold != "" && strings.Contains(string(body), `"sessionId":"`+rr.hold+`"`) {
			_, _ = io.Copy(io.Discard, br) // never answered: until the client closes
			return
		}
		time.Sleep(rr.delay)
		rr.got <- push{Path: req.URL.Path, Header: req.Header, Body: body, Status: http.StatusOK}
		last := rr.closeAfter > 0 && n == rr.closeAfter
		answer := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
		if last && !rr.silent {
			answer += "Connection: close\r\n"
		}
		rr.mu.Lock()
		rr.active--
		rr.mu.Unlock()
		if _, err := io.WriteString(c, answer+"\r\n"); err != nil {
			return
		}
		if last { // a lingering close, as servers make it: unread requests get no reset
			_ = c.(*net.TCPConn).CloseWrite()
			_ = c.SetReadDeadline(time.Now().Add(waitLimit))
			_, _ = io.Copy(io.Discard, br)
			return
		}
	}
}

func (rr *rawReceiver) stats() (conns, pipelined, maxActive int) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.conns, rr.pipelined, rr.maxActive
}

// emitSessions emits the five events of n sessions, all before Run, so that
// the worker finds them together.
func emitSessions(t *testing.T, d *cdr.Dispatcher, n int) {
	t.Helper()
	for s := range n {
		for _, ev := range callEvents(fmt.Sprintf("S%d", s)) {
			mustEmitEvent(t, d, "app1", ev)
		}
	}
}

// receiveAll takes n pushes off rr, checks each one's signature, and
// checks that every session's events came in their order.
func receiveAll(t *testing.T, rr *rawReceiver, n int) {
	t.Helper()
	bySession := map[string][]string{}
	for range n {
		var p push
		select {
		case p = <-rr.got:
		case <-time.After(waitLimit):
			t.Fatalf("receiver got %d pushes, want %d", len(bySession), n)
		}
		if _, err := verifyAKSK(p.Header, "app1", "k"); err != nil {
			t.Fatalf("push not signed right: %v", err)
		}
		s, typ, _ := strings.Cut(session(t, p), "/")
		bySession[s] = append(bySession[s], typ)
	}
	want := []string{cdr.EventCallIn, cdr.EventCallOut, cdr.EventAlerting, cdr.EventAnswer, cdr.EventDisconnect}
	for s, got := range bySession {
		if !slices.Equal(got, want) {
			t.Fatalf("session %s's events came as %v, want %v", s, got, want)
		}
	}
}

// deliverSessions runs app1's Dispatcher (tuned by tune) with rr as its
// receiver on the five events of n sessions, and returns once rr has them
// all, each signed and in its session's order, and all are settled as
// delivered.
func deliverSessions(t *testing.T, rr *rawReceiver, n int, tune func(*cdr.DispatcherDeps)) *env {
	t.Helper()
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rr.url()})
	e := newEnv(t, t.TempDir(), newFakeClock(t0), apps, tune)
	emitSessions(t, e.d, n)
	e.run(t)
	receiveAll(t, rr, 5*n)
	delivered(t, e, 5*n)
	return e
}

// delivered waits until n items of app1 are settled as delivered, and
// fails if any is settled as failed meanwhile.
func delivered(t *testing.T, e *env, n int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for got := 0; got < n; {
		select {
		case o := <-e.obs.ops:
			if o.name != "delivered" {
				t.Fatalf("%s settle: %+v", o.name, o.items)
			}
			got += len(o.ids)
		case <-deadline:
			t.Fatalf("%d of %d items delivered", got, n)
		}
	}
}

// TestBurstsToFastReceiver: to a receiver that answers at once, the pushes
// of many sessions go in bursts — written back to back on a few
// connections, the receiver finding the next request waiting behind the one
// it read — every push signed, every session's events in order, all
// delivered. With webhook.pipeline 1 there are none.
func TestBurstsToFastReceiver(t *testing.T) {
	for _, tc := range []struct {
		pipeline int
		bursts   bool
	}{{0, true}, {1, false}} {
		t.Run(fmt.Sprintf("pipeline %d", tc.pipeline), func(t *testing.T) {
			rr := startRawReceiver(t, &rawReceiver{})
			const sessions = 60
			e := deliverSessions(t, rr, sessions, func(d *cdr.DispatcherDeps) { d.Pipeline = tc.pipeline })
			conns, pipelined, _ := rr.stats()
			t.Logf("%d connections, %d of %d pushes found waiting behind another", conns, pipelined, 5*sessions)
			writes := metricValue(t, e.reg, "xnum_outbox_writes_total", nil)
			written := metricValue(t, e.reg, "xnum_outbox_written_total", nil)
			t.Logf("%v pushes in %v writes", written, writes)
			if written != 5*sessions {
				t.Errorf("xnum_outbox_written_total %v, want %d", written, 5*sessions)
			}
			if tc.bursts && (pipelined == 0 || writes >= written) {
				t.Error("no push was written behind another: no bursts")
			}
			if !tc.bursts && (pipelined != 0 || writes != written) {
				t.Errorf("%d pushes written behind another with pipeline 1 (%v writes)", pipelined, writes)
			}
		})
	}
}

// TestBurstConnectionClosed: a receiver that closes each connection after
// two answers (as nginx's keepalive_requests does, or one that does not
// pipeline at all), saying Connection: close or not, leaves the pushes
// written behind the close unanswered: they go again on a new connection
// at once — all delivered, none failed, none waiting for the retry
// schedule.
func TestBurstConnectionClosed(t *testing.T) {
	for _, silent := range []bool{false, true} {
		t.Run(fmt.Sprintf("silent %v", silent), func(t *testing.T) {
			clk := newFakeClock(t0)
			rr := startRawReceiver(t, &rawReceiver{closeAfter: 2, silent: silent})
			apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rr.url()})
			e := newEnv(t, t.TempDir(), clk, apps, nil)
			const sessions = 40
			emitSessions(t, e.d, sessions)
			e.run(t)
			delivered(t, e, 5*sessions) // fails on a failed settle
			conns, pipelined, _ := rr.stats()
			t.Logf("%d connections, %d pushes found waiting behind another", conns, pipelined)
			if pipelined == 0 {
				t.Error("no bursts: the close behind a burst was not tried")
			}
		})
	}
}

// TestBurstHeldPush: a push in a burst that the receiver holds keeps the
// pushes written behind it waiting no longer than holLimit (200 ms): they
// are then planned again and delivered on other connections while it is
// still held, and it fails alone, at webhook.timeout, as a push on its own
// does.
func TestBurstHeldPush(t *testing.T) {
	clk := newFakeClock(t0)
	rr := startRawReceiver(t, &rawReceiver{hold: "S0"})
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rr.url()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.Timeout = 3 * time.Second })
	for s := range 4 { // S0 to S3's callins, found together: one burst
		mustEmitEvent(t, e.d, "app1", callEvents(fmt.Sprintf("S%d", s))[0])
	}
	start := time.Now()
	e.run(t)
	var got []string
	for range 3 {
		select {
		case p := <-rr.got:
			got = append(got, session(t, p))
		case <-time.After(waitLimit):
			t.Fatalf("pushes behind the held one: got %v", got)
		}
	}
	if held := time.Since(start); held >= 3*time.Second {
		t.Errorf("the pushes behind the held one came after %v, its timeout", held)
	}
	slices.Sort(got)
	if want := []string{"S1/callin", "S2/callin", "S3/callin"}; !slices.Equal(got, want) {
		t.Fatalf("while S0 is held: %v, want %v", got, want)
	}
	if _, pipelined, _ := rr.stats(); pipelined == 0 {
		t.Error("S0's push was not in a burst: nothing was written behind it")
	}
	failed := e.obs.next(t, "failed", "app1").items
	if len(failed) != 1 || failed[0].SessionID != "S0" || !strings.Contains(failed[0].LastError, "timeout") {
		t.Fatalf("failed %+v, want S0 alone, timed out", failed)
	}
}

// TestSlowReceiverNoBursts: a receiver that takes 20 ms an answer spaces
// the answers to a burst 20 ms apart (more than slowSpacing, 1 ms); it is
// then marked slow and gets one push per connection at a time, on up to
// webhook.parallel (128) connections, so that far more of its pushes are
// answered at once than bursts of 8 on the connections the ready pushes
// fill (16 at most for 128 ready).
func TestSlowReceiverNoBursts(t *testing.T) {
	rr := startRawReceiver(t, &rawReceiver{delay: 20 * time.Millisecond})
	const sessions = 200
	e := deliverSessions(t, rr, sessions, nil)
	conns, pipelined, most := rr.stats()
	writes := metricValue(t, e.reg, "xnum_outbox_writes_total", nil)
	t.Logf("%d connections, %d pushes found waiting behind another, at most %d answered at once, %v writes", conns, pipelined, most, writes)
	if most <= 32 {
		t.Errorf("at most %d pushes answered at once: the slow receiver still got bursts", most)
	}
	if writes < 5*sessions/2 {
		t.Errorf("%v writes for %d pushes: the slow receiver still got bursts", writes, 5*sessions)
	}
}

// TestBurstsOverTLS: pushes to an https receiver go in bursts over TLS
// (crypto/tls, the receiver's certificate checked against the roots given
// in DispatcherDeps.TLS), every push signed, every session in order.
func TestBurstsOverTLS(t *testing.T) {
	clk := newFakeClock(t0)
	got := make(chan push, 1000)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- push{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Status: http.StatusOK}
	}))
	t.Cleanup(srv.Close)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: srv.URL + "/status"})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.TLS = &tls.Config{RootCAs: roots} })
	const sessions = 30
	emitSessions(t, e.d, sessions)
	e.run(t)
	rr := &rawReceiver{got: got}
	receiveAll(t, rr, 5*sessions)
	delivered(t, e, 5*sessions)
	writes := metricValue(t, e.reg, "xnum_outbox_writes_total", nil)
	if writes >= 5*sessions {
		t.Errorf("%v writes for %d pushes over TLS: no bursts", writes, 5*sessions)
	}
	// Without the roots the receiver's certificate is refused: the pushes
	// fail, none delivered.
	e2 := newEnv(t, t.TempDir(), clk, apps, nil)
	mustEmitEvent(t, e2.d, "app1", callEvents("T1")[0])
	e2.run(t)
	if f := e2.obs.next(t, "failed", "app1").items; len(f) != 1 || !strings.Contains(f[0].LastError, "certificate") {
		t.Fatalf("failed %+v, want a certificate error", f)
	}
}
