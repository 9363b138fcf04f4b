package cdr_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// The HTTP side of a push (cdr/deliver_push.go): statuses, redirects,
// timeouts, connection reuse and shutdown, against real loopback receivers.

// TestPushStatuses: a 2xx is delivered whatever its body (a long one is not
// read); any other status fails with its number, a 3xx too, whose Location
// is not followed.
func TestPushStatuses(t *testing.T) {
	clk := newFakeClock(t0)
	var followed atomic.Bool
	rc := &receiver{got: make(chan push, 100)}
	rc.srv = startServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		p := push{Path: r.URL.Path, Header: r.Header.Clone(), Body: body.Bytes(), At: clk.Now()}
		switch {
		case r.URL.Path == "/elsewhere":
			followed.Store(true)
			p.Status = http.StatusOK
		case strings.Contains(body.String(), `"sessionId":"moved"`):
			w.Header().Set("Location", "/elsewhere")
			p.Status = http.StatusFound
		case strings.Contains(body.String(), `"sessionId":"broken"`):
			p.Status = http.StatusInternalServerError
		default:
			p.Status = http.StatusOK
		}
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		rc.got <- p
		w.WriteHeader(p.Status)
		_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20)) // longer than what is read
	}))
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	e.run(t)

	ev := callEvents("ok")[0]
	mustEmitEvent(t, e.d, "app1", ev)
	p := rc.next(t)
	if want, _ := cdr.NewEventItem("app1", ev); !bytes.Equal(p.Body, want.Payload) {
		t.Fatalf("body %s, want %s", p.Body, want.Payload)
	}
	if ct := p.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("content type %q", ct)
	}
	e.obs.next(t, "delivered", "app1")

	for session, reason := range map[string]string{"moved": "http status 302", "broken": "http status 500"} {
		mustEmitEvent(t, e.d, "app1", callEvents(session)[0])
		if f := e.obs.next(t, "failed", "app1").items[0]; f.LastError != reason {
			t.Errorf("%s: reason %q, want %q", session, f.LastError, reason)
		}
	}
	if followed.Load() {
		t.Error("a redirect was followed")
	}
}

// TestPushTimeout: a receiver that does not answer within webhook.timeout
// fails the push as giving no answer: the other push planned for it in the
// same round is failed without being sent.
func TestPushTimeout(t *testing.T) {
	clk := newFakeClock(t0)
	rc, held, release := holdingReceiver(t, clk, "S1")
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) {
		d.Timeout = 200 * time.Millisecond
		d.Parallel = 1 // S2 waits for S1's slot, in the same round
		d.Pipeline = 1 // not in a burst with S1 (TestBurstTimeout)
	})
	mustEmitEvent(t, e.d, "app1", callEvents("S1")[0])
	mustEmitEvent(t, e.d, "app1", callEvents("S2")[0])
	e.run(t)
	<-held
	var reasons []string
	for len(reasons) < 2 {
		for _, it := range e.obs.next(t, "failed", "app1").items {
			reasons = append(reasons, it.LastError)
		}
	}
	release()
	if reasons[0] == "" || strings.HasPrefix(reasons[0], "http status") {
		t.Errorf("S1's reason %q", reasons[0])
	}
	if !strings.HasPrefix(reasons[1], "not sent") {
		t.Errorf("S2's reason %q, want not sent", reasons[1])
	}
}

// TestPushKeepAlive: pushes reuse their connection; when the receiver has
// closed it meanwhile (its idle timeout), the next push goes on a new one,
// delivered, not failed.
func TestPushKeepAlive(t *testing.T) {
	clk := newFakeClock(t0)
	var conns atomic.Int32
	rc := &receiver{got: make(chan push, 100)}
	rc.srv = startServer(t, func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rc.got <- push{Path: r.URL.Path, Status: http.StatusOK}
	}))
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	e.run(t)
	for _, ev := range callEvents("S1") { // one after the other: one connection
		mustEmitEvent(t, e.d, "app1", ev)
	}
	for range 5 {
		rc.next(t)
	}
	for n := 0; n < 5; {
		n += len(e.obs.next(t, "delivered", "app1").ids)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 pushes in a row, want 1", n)
	}
	rc.srv.CloseClientConnections()
	mustEmitEvent(t, e.d, "app1", callEvents("S2")[0])
	if got := e.obs.next(t, "delivered", "app1"); len(got.ids) != 1 {
		t.Fatalf("delivered %v", got.ids)
	}
	select {
	case f := <-e.obs.ops:
		t.Fatalf("then %s %+v", f.name, f.items)
	default:
	}
}

// TestShutdownAbortsPush: a receiver that never answers does not hold
// Run's return until the timeout (an hour here): the push is aborted, its
// item left pending as it was, and no goroutine of the Dispatcher is left.
func TestShutdownAbortsPush(t *testing.T) {
	clk := newFakeClock(t0)
	rc, held, release := holdingReceiver(t, clk, "S1")
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.Timeout = time.Hour })
	e.run(t)
	mustEmitEvent(t, e.d, "app1", callEvents("S1")[0])
	for _, ev := range callEvents("S2") {
		mustEmitEvent(t, e.d, "app1", ev)
	}
	<-held
	for n := 0; n < 5; {
		n += len(e.obs.next(t, "delivered", "app1").ids)
	}
	e.stop() // fails the test unless Run returns within waitLimit
	release()
	items, err := e.ob.Pending("app1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Attempts != 0 || items[0].LastError != "" {
		t.Fatalf("pending after shutdown %+v", items)
	}
	select {
	case f := <-e.obs.ops:
		t.Fatalf("settled at shutdown: %s %+v", f.name, f.items)
	default:
	}
	noDispatcherGoroutines(t)
}

// startServer starts a loopback receiver with h and connState, closed when
// the test ends.
func startServer(t *testing.T, connState func(net.Conn, http.ConnState), h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = connState
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// noDispatcherGoroutines fails if a goroutine of a worker (a pusher too) or
// of the Dispatcher is still there.
func noDispatcherGoroutines(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("cdr.(*worker)")) || bytes.Contains(g, []byte("cdr.(*Dispatcher)")) {
			t.Errorf("goroutine left after Run returned:\n%s", g)
		}
	}
}
