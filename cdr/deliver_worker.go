package cdr

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/xnum/xnum/routing"
)

// storeBackoff is how long a worker waits after the outbox failed it (a
// read or a settle), before it reloads from the store.
const storeBackoff = time.Second

// worker delivers one app's items. It alone changes that app's pending
// items, so its in-memory queue mirrors the store: it loads items above the
// last id it holds and settles each round in the store before it drops or
// updates them in memory.
type worker struct {
	d     *Dispatcher
	app   string
	poke  chan struct{} // capacity 1: "the store may hold more for you"
	queue []OutboxItem  // pending items of app, in id order
	last  uint64        // highest id loaded

	// settling is the previous round's store write, running while the next
	// round pushes (nil when none). Its items stay in queue, and plan keeps
	// their sessions back, until the write is reaped: the next item of a
	// session is pushed only once its predecessor's outcome is durable, so
	// the per-session order holds across a crash too.
	settling *settleJob
}

// settleJob is one round's outcome being written to the store.
type settleJob struct {
	done chan struct{} // closed when err is set
	err  error
	ids  map[uint64]bool // every item of the round: their sessions wait
	gone map[uint64]bool // delivered, nowhere or dead: dropped from queue
	upd  map[uint64]OutboxItem
}

func newWorker(d *Dispatcher, app string) *worker {
	return &worker{d: d, app: app, poke: make(chan struct{}, 1)}
}

// wake is called under d.mu.
func (w *worker) wake() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) {
	defer w.d.wg.Done()
	defer w.reap(true) // the last round's write ends before the worker does
	for {
		if ctx.Err() != nil {
			w.d.retire(w, true)
			return
		}
		select { // consume the poke before loading, so a later one stays
		case <-w.poke:
		default:
		}
		if !w.reapAndBackoff(ctx, false) {
			w.d.retire(w, true)
			return
		}
		if err := w.load(); err != nil {
			w.d.log.Error("load pending items", "app", w.app, "err", err)
			if !w.wait(ctx, storeBackoff) {
				w.d.retire(w, true)
				return
			}
			continue
		}
		if len(w.queue) == 0 { // nothing settling either: its items are in queue
			if w.d.retire(w, false) {
				return
			}
			continue
		}
		now := w.d.now()
		var busy map[uint64]bool
		if w.settling != nil {
			busy = w.settling.ids
		}
		units, wake := plan(w.queue, now, maxUnitsPerRound, busy)
		if len(units) > 0 {
			w.deliver(ctx, units)
			continue
		}
		if w.settling != nil {
			// What is left waits on the write (or on a retry): wait for the
			// write to end, or for new items, which may be pushable now.
			select {
			case <-ctx.Done():
			case <-w.settling.done:
			case <-w.poke:
			}
			continue
		}
		if !w.wait(ctx, wake.Sub(now)) {
			w.d.retire(w, true)
			return
		}
	}
}

// reap applies the previous round's write to the queue once it is done
// (wait: block until it is). It reports the write's error, after which the
// queue has been dropped: memory no longer matches the store, so the worker
// starts again from the store, and pushed items may be pushed again (at
// least once, SPEC §6.2).
func (w *worker) reap(wait bool) error {
	j := w.settling
	if j == nil {
		return nil
	}
	if wait {
		<-j.done
	} else {
		select {
		case <-j.done:
		default:
			return nil
		}
	}
	w.settling = nil
	if j.err != nil {
		w.d.log.Error("settle outbox round", "app", w.app, "err", j.err)
		clear(w.queue)
		w.queue, w.last = nil, 0
		return j.err
	}
	kept := w.queue[:0]
	for _, it := range w.queue {
		if j.gone[it.ID] {
			continue
		}
		if u, ok := j.upd[it.ID]; ok {
			it = u
		}
		kept = append(kept, it)
	}
	clear(w.queue[len(kept):]) // drop the payloads of settled items
	w.queue = kept
	return nil
}

// reapAndBackoff is reap, then the store backoff after a failed write. It
// returns false when ctx ended.
func (w *worker) reapAndBackoff(ctx context.Context, wait bool) bool {
	if w.reap(wait) != nil {
		return w.wait(ctx, storeBackoff)
	}
	return true
}

// wait returns true when poked or after d on the injected clock, false when
// ctx ends. With its window full the worker could load nothing new, so it
// does not wake for pokes (an outage would otherwise have it re-plan a full
// window at every emit).
func (w *worker) wait(ctx context.Context, d time.Duration) bool {
	poke := w.poke
	if len(w.queue) >= w.d.window {
		poke = nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-poke:
		return true
	case <-w.d.after(max(d, 0)):
		return true
	}
}

func (w *worker) load() error {
	room := w.d.window - len(w.queue)
	if room <= 0 {
		return nil
	}
	items, err := w.d.store.Pending(w.app, w.last, room)
	if err != nil {
		return err
	}
	for _, it := range items {
		w.queue = append(w.queue, it)
		w.last = it.ID
	}
	return nil
}

// unit is one push: a single event, or a batch of at most MaxFeeBatch fee
// records.
type unit struct {
	kind  string
	items []OutboxItem
}

// body is the JSON posted: the event itself (SPEC §6.1), or the fee
// envelope {"eventType":"fee","feeLst":[…]} around the stored records
// (SPEC §6.2), built from their JSON without decoding it.
func (u unit) body() []byte {
	if u.kind != KindFee {
		return u.items[0].Payload
	}
	var b bytes.Buffer
	b.WriteString(`{"eventType":"` + EventFee + `","feeLst":[`)
	for i, it := range u.items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it.Payload)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// plan picks the pushes of one round from queue (in id order): only the
// earliest pending item of each sessionId may go, and only when due, so a
// session's items go out one round after the other, in order, and an item
// waiting for its retry holds back the rest of its session (SPEC §6.2).
// Fee records of different sessions share batches of MaxFeeBatch. When no
// item is due, wake is when the first one will be. An item without a
// sessionId is a session of its own. Items in busy (the previous round's,
// still being settled) are neither pushed nor let their session go on.
func plan(queue []OutboxItem, now time.Time, maxUnits int, busy map[uint64]bool) (units []unit, wake time.Time) {
	seen := make(map[string]bool)
	fee := -1 // index in units of the fee batch being filled
	for _, it := range queue {
		key := it.SessionID
		if key == "" {
			key = "\x00" + strconv.FormatUint(it.ID, 10)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
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
			units[fee].items = append(units[fee].items, it)
			continue
		}
		if len(units) == maxUnits {
			break
		}
		units = append(units, unit{kind: it.Kind, items: []OutboxItem{it}})
		if it.Kind == KindFee {
			fee = len(units) - 1
		}
	}
	return units, wake
}

type outcome int

const (
	delivered outcome = iota // 2xx within the timeout
	nowhere                  // the app has no URL for it: done, pushed nowhere
	failed                   // counts towards the retry schedule
	aborted                  // shutdown: left as it was
)

func (o outcome) String() string {
	return [...]string{"delivered", "nowhere", "failed", "aborted"}[o]
}

type pushResult struct {
	outcome outcome
	reason  string
}

// downSet remembers, for one round, the receivers that gave no HTTP answer
// (refused, reset, timed out): the round's other pushes to them fail
// without being sent, so a hanging receiver costs one timeout per round and
// not one per item.
type downSet struct {
	mu   sync.Mutex
	urls map[string]bool
}

func (s *downSet) mark(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urls[url] = true
}

func (s *downSet) has(url string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urls[url]
}

// deliver pushes one round's units, at most Parallel at a time (they are
// of distinct sessions, so their order does not matter), then settles.
func (w *worker) deliver(ctx context.Context, units []unit) {
	results := make([]pushResult, len(units))
	app, err := w.d.apps(w.app) // once a round: URLs and secret as they are now
	if err != nil {
		for i := range results {
			results[i] = pushResult{failed, "app: " + err.Error()}
		}
		w.settle(ctx, units, results)
		return
	}
	down := &downSet{urls: map[string]bool{}}
	sem := make(chan struct{}, w.d.parallel)
	var wg sync.WaitGroup
	for i := range units {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = w.push(ctx, app, units[i], down)
		})
	}
	wg.Wait()
	w.settle(ctx, units, results)
}

// push sends one unit, signed with the app's secret (SPEC §6.1), and says
// how it went.
func (w *worker) push(ctx context.Context, app routing.App, u unit, down *downSet) pushResult {
	url := targetURL(app, u.kind)
	if url == "" {
		return pushResult{outcome: nowhere}
	}
	if down.has(url) {
		return pushResult{failed, "not sent: receiver gave no answer earlier in this round"}
	}
	rctx, cancel := context.WithTimeout(ctx, w.d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(u.body()))
	if err != nil {
		return pushResult{failed, "request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if err := w.d.sign(req, w.app, app.Secret, w.d.now()); err != nil {
		return pushResult{failed, "sign: " + err.Error()}
	}
	resp, err := w.d.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return pushResult{outcome: aborted}
		}
		down.mark(url)
		return pushResult{failed, err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return pushResult{failed, "http status " + strconv.Itoa(resp.StatusCode)}
	}
	return pushResult{outcome: delivered}
}

// settle writes a round's outcome to the store, then to the queue in
// memory: delivered items deleted; failed ones rescheduled from their first
// failure (NextRetry) or, with no slot left, moved to the dead letters. The
// write is started here and reaped by the worker's loop (reap), so the next
// round's pushes overlap this round's fsync.
func (w *worker) settle(ctx context.Context, units []unit, results []pushResult) {
	now := w.d.now()
	var done []uint64
	var retry, dead []OutboxItem
	for i, u := range units {
		r := results[i]
		if r.outcome != aborted {
			w.d.m.push(u.kind, r.outcome.String())
		}
		switch r.outcome {
		case delivered, nowhere:
			for _, it := range u.items {
				done = append(done, it.ID)
			}
			w.d.m.item(u.kind, r.outcome.String(), len(u.items))
		case failed:
			for _, it := range u.items {
				it.Attempts++
				if it.FirstFailure.IsZero() {
					it.FirstFailure = now
				}
				it.LastError = r.reason
				if next, ok := NextRetry(it.FirstFailure, now); ok {
					it.NextAttempt = next
					retry = append(retry, it)
				} else {
					dead = append(dead, it)
				}
			}
			w.d.log.Warn("push failed", "app", w.app, "kind", u.kind, "items", len(u.items),
				"firstId", u.items[0].ID, "sessionId", u.items[0].SessionID, "reason", r.reason)
		}
	}
	w.d.m.item(KindEvent, "retry", countKind(retry, KindEvent))
	w.d.m.item(KindFee, "retry", countKind(retry, KindFee))
	w.d.m.item(KindEvent, "dead", countKind(dead, KindEvent))
	w.d.m.item(KindFee, "dead", countKind(dead, KindFee))
	for _, it := range dead {
		w.d.log.Error("push given up: dead letter", "app", w.app, "id", it.ID, "sessionId", it.SessionID,
			"attempts", it.Attempts, "reason", it.LastError)
	}
	// The store write runs while the next round pushes (pipelining); the
	// previous one must be in first: one write in flight, in round order.
	if w.reap(true) != nil {
		// The queue was dropped and will be reloaded; this round's items
		// are among what is reloaded, pushed again (at least once).
		w.wait(ctx, storeBackoff)
		return
	}
	j := &settleJob{
		done: make(chan struct{}),
		ids:  make(map[uint64]bool, len(units)),
		gone: make(map[uint64]bool, len(done)+len(dead)),
		upd:  make(map[uint64]OutboxItem, len(retry)),
	}
	for _, u := range units {
		for _, it := range u.items {
			j.ids[it.ID] = true
		}
	}
	for _, id := range done {
		j.gone[id] = true
	}
	for _, it := range dead {
		j.gone[it.ID] = true
	}
	for _, it := range retry {
		j.upd[it.ID] = it
	}
	w.settling = j
	go func() {
		j.err = w.record(done, retry, dead)
		close(j.done)
	}()
}

func (w *worker) record(done []uint64, retry, dead []OutboxItem) error {
	if len(done) > 0 {
		if err := w.d.store.MarkDelivered(w.app, done...); err != nil {
			return fmt.Errorf("mark delivered: %w", err)
		}
	}
	if len(retry) > 0 {
		if err := w.d.store.MarkFailed(retry...); err != nil {
			return fmt.Errorf("mark failed: %w", err)
		}
	}
	if len(dead) > 0 {
		if err := w.d.store.MoveToDead(dead...); err != nil {
			return fmt.Errorf("move to dead: %w", err)
		}
	}
	return nil
}

func countKind(items []OutboxItem, kind string) int {
	n := 0
	for _, it := range items {
		if it.Kind == kind || (kind == KindEvent && it.Kind != KindFee) {
			n++
		}
	}
	return n
}
