package cdr

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// unit is one push: a single event, or a batch of at most MaxFeeBatch fee
// records.
type unit struct {
	kind  string
	items []OutboxItem
}

// setBody sets the JSON posted as req's body: the event itself (SPEC §6.1),
// or the fee envelope {"eventType":"fee","feeLst":[…]} around the stored
// records (SPEC §6.2), built from their JSON without decoding it, in req's
// own body buffer (reused from push to push).
func (u unit) setBody(req *fasthttp.Request) {
	if u.kind != KindFee {
		req.SetBodyRaw(u.items[0].Payload)
		return
	}
	req.SetBodyString(`{"eventType":"` + EventFee + `","feeLst":[`)
	for i, it := range u.items {
		if i > 0 {
			req.AppendBodyString(",")
		}
		req.AppendBody(it.Payload)
	}
	req.AppendBodyString("]}")
}

// planner plans a worker's pushes. It keeps its set of sessions from one
// plan to the next: a replan walks the whole queue (up to Window items),
// and a map built afresh each time cost as much as the walk
// (BenchmarkPlan). It reuses the storage of its units too: a plan runs
// every time the planned pushes are used up, and while a fee batch waits
// to fill (deferFee) every plan makes it again, so units and fee batches
// allocated afresh were the largest part of what delivery allocated.
type planner struct {
	seen map[string]struct{}
	// units backs the units of the last plan. The worker copies each unit
	// out of it before it plans again (replan runs once ready is used up),
	// so the next plan may overwrite it.
	units []unit
	// spareFees and spareEvents are the items of units done with (release)
	// with room for a fee batch or for an event: a plan fills them rather
	// than allocating.
	spareFees, spareEvents [][]OutboxItem
}

// items returns an empty slice with room for a unit of kind.
func (p *planner) items(kind string) []OutboxItem {
	spare, size := &p.spareEvents, 1
	if kind == KindFee {
		spare, size = &p.spareFees, MaxFeeBatch
	}
	n := len(*spare)
	if n == 0 {
		return make([]OutboxItem, 0, size)
	}
	items := (*spare)[n-1]
	(*spare)[n-1] = nil
	*spare = (*spare)[:n-1]
	return items
}

// release takes back the items of u, which nothing uses any more: its
// outcome is taken into a settle (which copies what it keeps) or it was
// deferred, and its pusher is done with it. They are cleared so that a
// spare slice holds no payload.
func (p *planner) release(u unit) {
	clear(u.items)
	switch items := u.items[:0]; {
	case cap(items) >= MaxFeeBatch:
		p.spareFees = append(p.spareFees, items)
	case cap(items) >= 1:
		p.spareEvents = append(p.spareEvents, items)
	}
}

// plan picks up to maxUnits pushes from queue (in id order): only the
// earliest pending item of each sessionId may go, and only when due, so a
// session's items go out one after the other, in order, and an item waiting
// for its retry holds back the rest of its session (SPEC §6.2). Fee records
// of different sessions share batches of MaxFeeBatch. When no item is due,
// wake is when the first one will be. An item without a sessionId is a
// session of its own. Items in busy (planned, being pushed or being
// settled) are not pushed again and hold their sessions back; items in gone
// (settled for good, not yet dropped from the queue) are skipped as if
// absent.
func (p *planner) plan(queue []OutboxItem, now time.Time, maxUnits int, busy, gone map[uint64]bool) (units []unit, wake time.Time) {
	if p.seen == nil {
		p.seen = map[string]struct{}{}
	}
	seen := p.seen
	defer clear(seen)
	clear(p.units) // units dropped unstarted (a failed write) are let go
	units = p.units[:0]
	fee := -1 // index in units of the fee batch being filled
	for _, it := range queue {
		if gone[it.ID] {
			continue
		}
		if it.SessionID != "" { // else a session of its own
			n := len(seen)
			seen[it.SessionID] = struct{}{} // one map operation to look and add
			if len(seen) == n {
				continue // not the earliest of its session
			}
		}
		if busy[it.ID] {
			continue
		}
		if it.NextAttempt.After(now) {
			if wake.IsZero() || it.NextAttempt.Before(wake) {
				wake = it.NextAttempt
			}
			continue
		}
		if it.Kind == KindFee && fee >= 0 && len(units[fee].items) < MaxFeeBatch {
			units[fee].items = append(units[fee].items, it) // within its room: no allocation
			continue
		}
		if len(units) == maxUnits {
			break
		}
		units = append(units, unit{kind: it.Kind, items: append(p.items(it.Kind), it)})
		if it.Kind == KindFee {
			fee = len(units) - 1
		}
	}
	p.units = units
	return units, wake
}

type outcome int

const (
	delivered outcome = iota // 2xx within the timeout
	nowhere                  // the app has no URL for it: done, pushed nowhere
	failed                   // counts towards the retry schedule
	aborted                  // shutdown: left as it was
	// resend: written behind a slow push in a burst and not answered
	// within holLimit: planned again at once, not a failure
	resend
)

func (o outcome) String() string {
	return [...]string{"delivered", "nowhere", "failed", "aborted", "resend"}[o]
}

type pushResult struct {
	outcome outcome
	reason  string
	// noAnswer: the receiver gave no HTTP answer at all (refused, reset,
	// timed out); the worker then fails the other planned pushes to it
	// without sending them.
	noAnswer bool
}

// The pushes go through fasthttp rather than net/http: on the same loopback
// receiver it costs about half the CPU a push, as it writes the request and
// reads the answer on the pushing goroutine itself, with no reader and
// writer goroutines per connection, and reuses its request and response
// (docs/EVENTS.md "Speed"). fasthttp has no context: a Run's connections
// go through its connSet, which closes them all when the Run's ctx ends.

// maxAnswerBody bounds the answer's body read (and discarded) so that the
// connection is reused; a longer body is not read and the connection is
// closed instead.
const maxAnswerBody = 64 << 10

// contentType is the Content-Type of every push (SPEC §6.1).
const contentType = "application/json;charset=UTF-8"

// client returns the HTTP client of app's pushes for this Run, making it at
// its first push. Each app has its own, with at most Parallel connections a
// receiver host: an app's pushes never wait for a connection another app
// holds, so a receiver that hangs only delays its own app (docs/EVENTS.md
// "Isolation"). It is called under d.mu, while running.
func (d *Dispatcher) client(app string) *fasthttp.Client {
	if c := d.clients[app]; c != nil {
		return c
	}
	conns := d.conns
	c := &fasthttp.Client{
		Name:        userAgent,
		DialTimeout: conns.dial,
		// A connection the receiver closed while it was idle: the push is
		// sent again on a new one, once (net/http does this too, from the
		// reader goroutine it keeps on every idle connection). A push may
		// then reach the receiver twice: delivery is at least once.
		RetryIfErr: func(_ *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
			return false, attempts == 1 && conns.ctx.Err() == nil && connClosed(err)
		},
		MaxConnsPerHost:        d.parallel,
		MaxConnWaitTimeout:     d.timeout, // a safety net: a worker has at most Parallel pushes in flight
		ReadBufferSize:         16 << 10,  // the longest answer header taken
		MaxResponseBodySize:    maxAnswerBody,
		DisablePathNormalizing: true, // the URL as the app gave it
		TLSConfig:              d.tls,
	}
	d.clients[app] = c
	return c
}

// connClosed reports whether err says the receiver closed the connection
// before it answered.
func connClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, fasthttp.ErrConnectionClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// connSet is the connections of one Run's pushes. close ends them all, and
// no connection is made after it: the pushes in flight end at once and are
// aborted, so a receiver that hangs does not hold a shutdown (SIGTERM) for
// the whole timeout.
type connSet struct {
	ctx     context.Context
	timeout time.Duration // of a dial fasthttp gives none (webhook.timeout)
	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	closed  bool
}

func newConnSet(ctx context.Context, timeout time.Duration) *connSet {
	return &connSet{ctx: ctx, timeout: timeout, conns: map[*trackedConn]struct{}{}}
}

// dial is the clients' DialTimeout: a TCP connection (TLS is fasthttp's,
// over it) made within timeout, the push's remaining time.
func (s *connSet) dial(addr string, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 { // a connection dialled for a push waiting for one
		timeout = s.timeout
	}
	ctx, cancel := context.WithTimeout(s.ctx, timeout)
	defer cancel()
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, set: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	s.conns[tc] = struct{}{}
	return tc, nil
}

func (s *connSet) close() {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for c := range conns {
		_ = c.Conn.Close()
	}
}

// trackedConn leaves its set when it is closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// prepare makes req the POST of u to url, signed with the app's secret
// (SPEC §6.1).
func (w *worker) prepare(req *fasthttp.Request, set func(string, string), u unit, url, secret string) error {
	req.SetRequestURI(url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType(contentType)
	req.Header.SetUserAgent(userAgent)
	u.setBody(req)
	if err := w.d.sign(set, w.app, secret, w.d.now()); err != nil {
		return errors.New("sign: " + err.Error())
	}
	return nil
}

// userAgent names xnum in every push (fasthttp's client sets it from Name).
const userAgent = "xnum"

// pushJob is a push handed to a pusher: one unit (u, url), or a burst of
// two or more for one receiver host (burst, urls; u and url are its first).
type pushJob struct {
	u      unit
	url    string
	secret string
	burst  []unit
	urls   []string
}

// pusher is a worker's long-lived push goroutine: it sends the pushes it is
// handed one after the other, on a stack grown once rather than at every
// push and with a request and response of its own, reused, and reports each
// outcome on w.results. It ends when w.jobs is closed.
func (w *worker) pusher(ctx context.Context) {
	defer w.pushers.Done()
	var req fasthttp.Request
	var resp fasthttp.Response
	set := req.Header.Set
	one, oneURL := make([]unit, 1), make([]string, 1)
	for j := range w.jobs {
		if len(j.burst) > 1 {
			w.pushBurst(ctx, &req, &resp, set, j)
			continue
		}
		if burstKey(j.url) != "" { // a burst of one, on the same connection
			one[0], oneURL[0] = j.u, j.url
			j.burst, j.urls = one, oneURL
			w.pushBurst(ctx, &req, &resp, set, j)
			one[0] = unit{}
			continue
		}
		r := w.push(ctx, &req, &resp, set, j)
		req.Reset() // lets go of the body
		resp.Reset()
		// capacity Parallel × Pipeline: never waits
		w.results <- finished{u: j.u, url: j.url, r: r, last: true}
	}
}

// push sends one unit to j.url, signed with the app's secret (SPEC §6.1),
// and says how it went.
func (w *worker) push(ctx context.Context, req *fasthttp.Request, resp *fasthttp.Response, set func(string, string), j pushJob) pushResult {
	req.SetRequestURI(j.url)
	if u := req.URI(); string(u.Scheme()) != "http" && string(u.Scheme()) != "https" || len(u.Host()) == 0 {
		return pushResult{outcome: failed, reason: "request: not an http(s) URL: " + j.url}
	}
	if err := w.prepare(req, set, j.u, j.url, j.secret); err != nil {
		return pushResult{outcome: failed, reason: err.Error()}
	}
	err := w.client.DoTimeout(req, resp, w.d.timeout)
	switch {
	case err == nil, errors.Is(err, fasthttp.ErrBodyTooLarge): // answered; the body is not read
	case ctx.Err() != nil:
		return pushResult{outcome: aborted}
	default:
		return pushResult{outcome: failed, reason: err.Error(), noAnswer: true}
	}
	if s := resp.StatusCode(); s < 200 || s > 299 {
		return pushResult{outcome: failed, reason: "http status " + strconv.Itoa(s)}
	}
	return pushResult{outcome: delivered}
}
