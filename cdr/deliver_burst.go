package cdr

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
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
// Bursts go to a receiver that answers pipelined pushes fast, one after
// the other: every HTTP/1.1 server answers a connection's requests in
// order, so the spacing of a burst's answers is the receiver's own time a
// push, whatever the network's round trip and however busy xnum is. A
// burst whose answers came more than slowSpacing apart (on average) marks
// the receiver slow: its pushes then go one per connection at a time, on
// up to webhook.parallel connections, as without bursts, and once a second
// one burst probes whether it is fast again. So pushes queued on a
// connection behind one another wait a few milliseconds at most, and a
// slow receiver keeps webhook.parallel pushes in flight. The order of a
// session's items is kept as ever: a burst holds at most one item of a
// session, the earliest (the planner's rule).

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

// slowSpacing: a receiver whose answers to a burst came further apart than
// this is slow (no bursts for it but a probe a second, probeEvery).
const slowSpacing = time.Millisecond

// holLimit is how long a push in a burst may hold up the ones behind it:
// past it they are planned again, to go on other connections, and may
// reach the receiver twice. Shorter, a stall of xnum itself (a GC cycle on
// a loaded box) sent pushes twice: at 50 ms, 0.6 % of them at 1800 calls/s
// on the 2-core bench box.
const holLimit = 200 * time.Millisecond

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, fasthttp.ErrTimeout)
}

// probeEvery is how often a burst probes a receiver marked slow.
const probeEvery = time.Second

// measure is what a job tells of its receiver: the mean spacing of the
// answers to a burst of two or more.
type measure struct {
	spaced  bool
	spacing time.Duration
}

// learn takes a job's measure into w.slow.
func (w *worker) learn(m measure) {
	if !m.spaced {
		return
	}
	slow := m.spacing > slowSpacing
	if slow && !w.slow {
		w.d.log.Info("receiver answers bursts slowly: pushes one per connection", "app", w.app,
			"spacing", m.spacing.String())
	}
	w.slow = slow
}

// burstMost is how many units the next job may take: one when bursts are
// off or the receiver is slow (but for a probe a second).
func (w *worker) burstMost() int {
	if w.d.pipeline <= 1 {
		return 1
	}
	if w.slow {
		if time.Since(w.probed) < probeEvery {
			return 1
		}
		w.probed = time.Now()
	}
	return w.d.pipeline
}

// burstIdle is how long a connection may have been idle and still be
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

// get returns an idle connection to key, the one used last, or nil. idle
// is in the order the connections were put back, so those idle too long
// are at its front and are closed there; the one wanted is nearly always
// the last (an app's URLs share a host).
func (p *connPool) get(key string) *burstConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	stale := 0
	for stale < len(p.idle) && time.Since(p.idle[stale].used) > burstIdle {
		p.idle[stale].close()
		stale++
	}
	p.idle = slices.Delete(p.idle, 0, stale)
	for i := len(p.idle) - 1; i >= 0; i-- {
		if b := p.idle[i]; b.key == key {
			p.idle = slices.Delete(p.idle, i, i+1)
			return b
		}
	}
	return nil
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
		cfg := &tls.Config{}
		if w.d.tls != nil {
			cfg = w.d.tls.Clone()
		}
		cfg.ServerName = name
		tc := tls.Client(c, cfg)
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
	report := func(i int, r pushResult, m measure) {
		reported++
		if reported == n && b != nil {
			// Back to the pool before the last outcome frees this job's
			// lane, so that the next job finds it.
			w.pool.put(b)
			b = nil
		}
		w.results <- finished{u: j.burst[i], url: j.urls[i], r: r, last: reported == n, m: m}
	}
	fail := func(idx []int, r pushResult, m measure) {
		if ctx.Err() != nil {
			r = pushResult{outcome: aborted}
		}
		for _, i := range idx {
			report(i, r, m)
		}
	}
	pending := make([]int, n) // units without an outcome, in order
	for i := range pending {
		pending[i] = i
	}
	sent := make([]int, 0, n)
	for len(pending) > 0 {
		if ctx.Err() != nil {
			fail(pending, pushResult{}, measure{})
			break
		}
		fresh := b == nil
		if fresh {
			var err error
			if b, err = w.dialBurst(ctx, key); err != nil {
				fail(pending, pushResult{outcome: failed, reason: err.Error(), noAnswer: true}, measure{})
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
				report(i, pushResult{outcome: failed, reason: err.Error()}, measure{})
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
		if werr != nil {
			b.close()
			b = nil
			if !fresh && ctx.Err() == nil { // closed while idle: again on a new one
				continue
			}
			fail(pending, pushResult{outcome: failed, reason: werr.Error(), noAnswer: true}, measure{})
			return
		}
		// Read the answers in order, timing their spacing. A push with
		// others behind it gets holLimit for its answer; past that the
		// ones behind it go again elsewhere (escape), and it gets the rest
		// of its webhook.timeout.
		pending = pending[:0]
		var first time.Time
		flushed := time.Now()
		escaped := false
		for k, i := range sent {
			limit := flushed.Add(w.d.timeout)
			if k < len(sent)-1 && !escaped {
				hold := time.Now().Add(holLimit)
				if limit.Before(hold) {
					hold = limit
				}
				_ = b.c.SetReadDeadline(hold)
			} else {
				_ = b.c.SetReadDeadline(limit)
			}
			err := resp.ReadLimitBody(b.br, maxAnswerBody)
			if k < len(sent)-1 && !escaped && isTimeout(err) && time.Now().Before(limit) && ctx.Err() == nil {
				// Held up: the pushes behind it are planned again, on
				// other connections, and the receiver is marked slow. They
				// may reach it twice: it has read them and will answer
				// them after this one.
				escaped = true
				fail(sent[k+1:], pushResult{outcome: resend}, measure{spaced: true, spacing: holLimit})
				sent = sent[:k+1]
				resp.Reset()
				_ = b.c.SetReadDeadline(limit)
				err = resp.ReadLimitBody(b.br, maxAnswerBody)
			}
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
				// push on its own would; any behind it were never answered
				// and fail with it (the receiver is down for this plan, as
				// on its own). A burst that hung marks the receiver slow.
				hung := measure{spaced: len(sent) > 1 || escaped, spacing: w.d.timeout}
				fail(sent[k:k+1], pushResult{outcome: failed, reason: err.Error(), noAnswer: true}, hung)
				fail(sent[k+1:], pushResult{outcome: failed, noAnswer: true,
					reason: "not answered: the push ahead of it on its connection got no answer (" + err.Error() + ")"}, hung)
				return
			}
			status, closing := resp.StatusCode(), resp.ConnectionClose() || err != nil
			resp.Reset()
			var m measure
			if escaped {
				m = measure{spaced: true, spacing: holLimit}
			}
			switch now := time.Now(); {
			case k == 0:
				first = now
			case k == len(sent)-1:
				m = measure{spaced: true, spacing: now.Sub(first) / time.Duration(k)}
			}
			r := pushResult{outcome: delivered}
			if status < 200 || status > 299 {
				r = pushResult{outcome: failed, reason: "http status " + strconv.Itoa(status)}
			}
			closing = closing || escaped // answers of the resent pushes are still due on it
			if closing {                 // the receiver closes after this answer: the rest go again
				b.close()
				b = nil
				pending = append(pending, sent[k+1:]...)
			}
			report(i, r, m)
			if closing {
				break
			}
		}
	}
}
