package cdr

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Bursts: HTTP/1.1 pipelining (RFC 9112 §9.3.2) to receivers that answer
// fast (docs/EVENTS.md "Bursts").
//
// A push on its own costs a write and a read on each side of a connection
// and a wakeup of each side's goroutine; on a loopback receiver that is
// most of a push's CPU, ours and the receiver's. A burst writes up to
// webhook.pipeline pushes of distinct sessions to one connection in one
// write and reads their answers in order, so that one write, one read and
// one wakeup serve them all, on our side and on the receiver's, which
// reads them together too.
//
// How many jobs (a push or a burst) an app has in flight at once, its
// width, follows its receiver. It starts at minWidth. A job whose pushes
// took longer than fastPerPush each doubles it, up to webhook.parallel; a
// job answered within a quarter of that narrows it by one, down to
// minWidth. The pushes ready are spread over the jobs that may start, so a
// fast receiver gets bursts on a few connections, and a slow one, which
// widens the app at once, gets one push per connection on up to
// webhook.parallel connections, as without bursts: pushes queued on a
// connection behind one another then wait a few milliseconds at most. The
// order of a session's items is kept as ever: a burst holds at most one
// item of a session, the earliest (the planner's rule).

// RFC 9112 lets a client pipeline after a POST when it can detect and
// recover from partial failure, which the outbox does: a push without an
// answer stays pending and is sent again (at least once, SPEC §6.2). A
// connection the receiver closes after an answer (Connection: close, or
// a limit of requests a connection such as nginx's keepalive_requests)
// leaves the pushes written behind it unanswered; they are sent again on a
// new connection at once, not counted as failures.

// DefaultPipeline is webhook.pipeline: the most pushes one connection
// carries at once to a fast receiver.
const DefaultPipeline = 8

// fastPerPush: a job whose pushes took longer than this each (its time
// over its pushes) widens its app.
const fastPerPush = 5 * time.Millisecond

// minWidth is the fewest jobs an app may have in flight at once (or
// webhook.parallel when that is less).
const minWidth = 8

// startWidth is an app's width when its worker starts: minWidth, or
// webhook.parallel without bursts.
func startWidth(d *Dispatcher) int {
	if d.pipeline <= 1 {
		return d.parallel
	}
	return min(d.parallel, minWidth)
}

// adapt widens or narrows w after a job whose pushes took perPush each
// (0: not measured).
func (w *worker) adapt(perPush time.Duration) {
	switch {
	case w.d.pipeline <= 1 || perPush <= 0:
	case perPush > fastPerPush:
		w.width = min(w.d.parallel, 2*w.width)
	case perPush < fastPerPush/4 && w.width > min(w.d.parallel, minWidth):
		w.width--
	}
}

// burstIdle is how long a burst connection may have been idle and still be
// used; an older one is closed and a new one dialled, rather than racing a
// receiver's idle timeout (most are 5 s or longer).
const burstIdle = 4 * time.Second

// burstKey returns the scheme and host of url ("http://host:port"), the
// connection a burst shares, or "" for a URL that does not go in bursts
// (not http(s), or with user info).
func burstKey(url string) string {
	rest, ok := strings.CutPrefix(url, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(url, "https://"); !ok {
			return ""
		}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if end == 0 || strings.Contains(rest[:end], "@") {
		return ""
	}
	return url[:len(url)-len(rest)+end]
}

// connPool holds an app's idle connections for this Run, the one used
// last first, so that the connections a fast receiver needs stay in use
// and the others age out (burstIdle). Every connection is dialled through
// the Run's connSet, which closes them all when the Run ends.
type connPool struct {
	mu   sync.Mutex
	idle []*burstConn
	max  int
}

// get returns an idle connection to key, the one used last, or nil.
// Connections idle too long are closed on the way.
func (p *connPool) get(key string) *burstConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.idle[:0]
	var found *burstConn
	for i := len(p.idle) - 1; i >= 0; i-- {
		b := p.idle[i]
		switch {
		case time.Since(b.used) > burstIdle:
			b.close()
			p.idle[i] = nil
		case found == nil && b.key == key:
			found = b
			p.idle[i] = nil
		}
	}
	for _, b := range p.idle {
		if b != nil {
			kept = append(kept, b)
		}
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	return found
}

// put gives back b, used just now; beyond max idle ones it is closed.
func (p *connPool) put(b *burstConn) {
	b.used = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) >= p.max {
		b.close()
		return
	}
	p.idle = append(p.idle, b)
}

// pool returns app's connection pool for this Run. It is called under d.mu,
// while running.
func (d *Dispatcher) pool(app string) *connPool {
	p := d.pools[app]
	if p == nil {
		p = &connPool{max: d.parallel}
		d.pools[app] = p
	}
	return p
}

// burstConn is a connection for bursts.
type burstConn struct {
	key  string
	c    net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time
}

func (b *burstConn) close() { _ = b.c.Close() }

// dialBurst opens a connection to key's host through this Run's connSet
// (closed when the Run ends), with TLS for https.
func (w *worker) dialBurst(ctx context.Context, key string) (*burstConn, error) {
	host, isTLS := strings.CutPrefix(key, "https://")
	if !isTLS {
		host = strings.TrimPrefix(key, "http://")
	}
	addr, name := host, host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	} else {
		port := "80"
		if isTLS {
			port = "443"
		}
		name = strings.Trim(host, "[]")
		addr = net.JoinHostPort(name, port)
	}
	c, err := w.conns.dial(addr, w.d.timeout)
	if err != nil {
		return nil, err
	}
	if isTLS {
		tc := tls.Client(c, &tls.Config{ServerName: name})
		hctx, cancel := context.WithTimeout(ctx, w.d.timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c = tc
	}
	return &burstConn{key: key, c: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 32<<10)}, nil
}

// pushBurst sends j.burst (units whose URLs share one burstKey; a push on
// its own is a burst of one) on one connection, b if it is still good, and
// reports every unit's outcome on w.results, the last one with last set.
// The connection comes from the app's pool and goes back to it.
//
// A connection closed before an answer is retried on a new one when it had
// been idle (the receiver's idle timeout) or had answered earlier pushes of
// the burst (a limit of requests a connection); a new connection closed
// before its first answer fails the pushes, as does no answer within
// webhook.timeout.
func (w *worker) pushBurst(ctx context.Context, req *fasthttp.Request, resp *fasthttp.Response, set func(string, string), j pushJob) {
	n := len(j.burst)
	key := burstKey(j.urls[0])
	b := w.pool.get(key)
	reported := 0
	report := func(i int, r pushResult, perPush time.Duration) {
		reported++
		if reported == n && b != nil {
			// Back to the pool before the last outcome frees this job's
			// lane, so that the next job finds it.
			w.pool.put(b)
			b = nil
		}
		w.results <- finished{u: j.burst[i], url: j.urls[i], r: r, last: reported == n, perPush: perPush}
	}
	fail := func(idx []int, r pushResult) {
		if ctx.Err() != nil {
			r = pushResult{outcome: aborted}
		}
		for _, i := range idx {
			report(i, r, 0)
		}
	}
	pending := make([]int, n) // units without an outcome, in order
	for i := range pending {
		pending[i] = i
	}
	sent := make([]int, 0, n)
	for len(pending) > 0 {
		if ctx.Err() != nil {
			fail(pending, pushResult{})
			break
		}
		fresh := b == nil
		if fresh {
			var err error
			if b, err = w.dialBurst(ctx, key); err != nil {
				fail(pending, pushResult{outcome: failed, reason: err.Error(), noAnswer: true})
				return
			}
		}
		// Write every pending push, then flush once. pending keeps the
		// units still without an outcome (a push that cannot be signed
		// has one).
		sent = sent[:0]
		var werr error
		rest := pending[:0]
		for _, i := range pending {
			if werr != nil {
				rest = append(rest, i)
				continue
			}
			if err := w.prepare(req, set, j.burst[i], j.urls[i], j.secret); err != nil {
				report(i, pushResult{outcome: failed, reason: err.Error()}, 0)
				continue
			}
			rest = append(rest, i)
			if werr = req.Write(b.bw); werr == nil {
				sent = append(sent, i)
			}
			req.Reset()
		}
		pending = rest
		if werr == nil && len(sent) == 0 {
			continue // nothing written: every push left failed to sign
		}
		if werr == nil {
			werr = b.bw.Flush()
		}
		if werr == nil && len(sent) > 0 {
			w.d.m.writes.Inc()
			w.d.m.written.Add(float64(len(sent)))
		}
		start := time.Now()
		if werr != nil {
			b.close()
			b = nil
			if !fresh && ctx.Err() == nil { // closed while idle: again on a new one
				continue
			}
			fail(pending, pushResult{outcome: failed, reason: werr.Error(), noAnswer: true})
			return
		}
		// Read the answers in order.
		pending = pending[:0]
		for k, i := range sent {
			_ = b.c.SetReadDeadline(time.Now().Add(w.d.timeout))
			err := resp.ReadLimitBody(b.br, maxAnswerBody)
			if err != nil && !errors.Is(err, fasthttp.ErrBodyTooLarge) {
				resp.Reset()
				b.close()
				b = nil
				if connClosed(err) && (k > 0 || !fresh) && ctx.Err() == nil {
					// Closed before this answer, after others on it or
					// while it was idle: this push and the ones behind it
					// go again on a new connection. A new connection closed
					// before its first answer fails them.
					pending = append(pending, sent[k:]...)
					break
				}
				// No answer in time, or not HTTP: this push failed as a
				// push on its own would; the ones behind it were never
				// answered and fail with it (the receiver is down for
				// this plan, as on its own).
				fail(sent[k:k+1], pushResult{outcome: failed, reason: err.Error(), noAnswer: true})
				fail(sent[k+1:], pushResult{outcome: failed, noAnswer: true,
					reason: "not answered: the push ahead of it on its connection got no answer (" + err.Error() + ")"})
				return
			}
			status, closing := resp.StatusCode(), resp.ConnectionClose() || err != nil
			resp.Reset()
			var perPush time.Duration
			if k == len(sent)-1 {
				perPush = time.Since(start) / time.Duration(len(sent))
			}
			r := pushResult{outcome: delivered}
			if status < 200 || status > 299 {
				r = pushResult{outcome: failed, reason: "http status " + strconv.Itoa(status)}
			}
			if closing { // the receiver closes after this answer: the rest go again
				b.close()
				b = nil
				pending = append(pending, sent[k+1:]...)
			}
			report(i, r, perPush)
			if closing {
				break
			}
		}
	}
}
