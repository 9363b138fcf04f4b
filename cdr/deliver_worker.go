package cdr

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/xnum/xnum/routing"
)

// storeBackoff is how long a worker waits after the outbox failed it (a
// read or a settle), before it reloads from the store.
const storeBackoff = time.Second

// feeBatchWait bounds how long a fee batch that is not full waits for more
// records while other pushes are under way (deferFee).
const feeBatchWait = 5 * time.Second

// settleGather is how long the outcomes gathered for the next store write
// wait for those of the pushes still in flight, so that one write (one
// fsync) carries more of them. It is short and on the real clock: a slow
// push holds the write back no longer than this, never until it ends.
const settleGather = time.Millisecond

// worker delivers one app's items. It alone changes that app's pending
// items, so its in-memory queue mirrors the store: it loads items above the
// last id it holds and settles each outcome in the store before it drops or
// updates the item in memory.
//
// Pushes are continuous: up to Parallel are in flight at any time, and a
// free slot is refilled as soon as any push ends, so a slow push holds only
// its own slot and its own session, never the pushes of other sessions
// (docs/EVENTS.md "Ordering"). Outcomes are written to the store by one
// write at a time; the outcomes that arrive while it runs go into the next
// one, so the fsyncs are shared (group commit) and the pushes never wait
// for them. The pushes are sent by long-lived pusher goroutines, started as
// more pushes are in flight at once than there are pushers (so at most
// Parallel) and ended when the worker ends: a push never waits for another
// to end, and their stacks grow once, not at every push. An item stays busy — its session held back — from the moment it
// is planned until its outcome is durable, so the next item of a session
// goes only after its predecessor is settled, across a crash too.
type worker struct {
	d      *Dispatcher
	app    string
	client *fasthttp.Client // the app's, for this Run
	conns  *connSet         // this Run's: burst connections are dialled through it
	pool   *connPool        // the app's idle burst connections, for this Run
	poke   chan struct{}    // capacity 1: "the store may hold more for you"

	queue   []OutboxItem    // pending items of app, in id order (gone ones until compacted)
	last    uint64          // highest id loaded
	more    bool            // the last load filled the window: the store may hold more
	busy    map[uint64]bool // planned, in flight or being settled: their sessions wait
	gone    map[uint64]bool // settled for good (delivered, nowhere, dead), still in queue
	planner planner

	ready    []unit          // planned, not started yet
	burst    []burstItem     // launch's scratch: the job being gathered
	readyApp routing.App     // the app (URLs, secret) as read when ready was planned
	appErr   error           // why it could not be read: ready fails
	down     map[string]bool // receivers that gave no HTTP answer since ready was planned
	inflight int             // units being pushed
	lanes    int             // jobs being pushed (a unit or a burst), at most Parallel
	slow     bool            // the receiver answers bursts slowly: one push a job (deliver_burst.go)
	probed   time.Time       // when a burst last probed a slow receiver
	results  chan finished   // capacity Parallel × Pipeline: a push never waits to report
	jobs     chan pushJob    // to the pushers; unbuffered (nil until the first push)
	npushers int             // pushers started, never fewer than lanes
	pushers  sync.WaitGroup

	acc      *settleJob       // outcomes waiting for the next store write
	settling *settleJob       // the store write in flight
	gather   <-chan time.Time // set while acc waits for more outcomes (settleGather)
	gathered bool             // that wait is over: write what is gathered
	broken   bool             // a write failed: let pushes end, drop the queue, reload

	stale   bool      // something changed since the last plan found nothing more
	retryAt time.Time // earliest retry seen by the last plan that found nothing
	timer   <-chan time.Time
	timerAt time.Time
}

// finished is a push's outcome, reported by its pusher.
type finished struct {
	u   unit
	url string
	r   pushResult
	// last: the job's last outcome, its pusher is free again; m is then
	// what the job tells of its receiver.
	last bool
	m    measure
}

// settleJob is a set of outcomes written to the store in one go.
type settleJob struct {
	done      chan struct{} // closed when err is set
	err       error
	ids       []uint64 // every item of it: busy until the write is reaped
	delivered []uint64 // delivered or nowhere: deleted
	retry     []OutboxItem
	dead      []OutboxItem
}

func newWorker(d *Dispatcher, app string, client *fasthttp.Client, conns *connSet, pool *connPool) *worker {
	return &worker{
		d: d, app: app, client: client, conns: conns, pool: pool, poke: make(chan struct{}, 1),
		busy: map[uint64]bool{}, gone: map[uint64]bool{},
		results: make(chan finished, d.parallel*d.pipeline),
		stale:   true,
	}
}

// done takes a push's outcome from its pusher.
func (w *worker) done(f finished) {
	w.inflight--
	if f.last {
		w.lanes--
		w.learn(f.m)
	}
	w.finish(f)
}

// burstItem is a unit being gathered into a job, with its URL.
type burstItem struct {
	u   unit
	url string
}

// wake is called under d.mu.
func (w *worker) wake() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

func (w *worker) live() int { return len(w.queue) - len(w.gone) }

func (w *worker) idle() bool {
	return w.live() == 0 && w.inflight == 0 && w.settling == nil && w.acc == nil && len(w.ready) == 0
}

func (w *worker) run(ctx context.Context) {
	defer w.d.wg.Done()
	needLoad := true
	var backoff <-chan time.Time
	for {
		if ctx.Err() != nil {
			w.stop()
			w.d.retire(w, true)
			w.endPushers()
			return
		}
		if w.broken && w.inflight == 0 && w.settling == nil {
			w.reset()
			backoff, needLoad = w.d.after(storeBackoff), false
		}
		if !w.broken {
			if needLoad && backoff == nil {
				needLoad = false
				if err := w.load(); err != nil {
					w.d.log.Error("load pending items", "app", w.app, "err", err)
					backoff = w.d.after(storeBackoff)
				}
			}
			w.launch(ctx)
			w.startSettle() // outcomes known without a push (nowhere, no app) too
		}
		if backoff == nil && !w.broken && w.idle() && w.d.retire(w, false) {
			w.endPushers()
			return
		}
		// With its window full the worker could load nothing new, so it
		// does not wake for pokes (an outage would otherwise have it re-plan
		// a full window at every emit); a settle makes room.
		poke := w.poke
		if w.live() >= w.d.window {
			poke = nil
		}
		var settled chan struct{}
		if w.settling != nil {
			settled = w.settling.done
		}
		select {
		case <-ctx.Done():
		case <-poke:
			needLoad = true
		case f := <-w.results:
			w.done(f)
			for drained := false; !drained; { // every outcome ready now, into one write
				select {
				case f := <-w.results:
					w.done(f)
				default:
					drained = true
				}
			}
		case <-settled:
			w.reap()
			needLoad = needLoad || w.more
		case <-w.gather:
			w.gathered = true
		case <-w.timer:
			w.timer, w.timerAt, w.stale = nil, time.Time{}, true
		case <-backoff:
			backoff, needLoad = nil, true
		}
	}
}

// stop ends the worker when ctx ended: the pushes in flight end (cancelled
// ones are left as they were), and what was settled is written.
func (w *worker) stop() {
	for w.inflight > 0 {
		w.done(<-w.results)
	}
	if w.settling != nil {
		<-w.settling.done
		w.reap()
	}
	if j := w.acc; j != nil && !w.broken {
		w.acc = nil
		if err := w.record(j); err != nil {
			w.d.log.Error("settle outbox items", "app", w.app, "err", err)
		}
	}
}

// endPushers ends the pushers, idle by now (no push is in flight), and
// waits for them: no goroutine of the worker outlives it.
func (w *worker) endPushers() {
	if w.jobs != nil {
		close(w.jobs)
		w.pushers.Wait()
	}
}

// reset drops everything in memory after a failed write: memory no longer
// matches the store, so the worker starts again from the store, and pushed
// items may be pushed again (at least once, SPEC §6.2).
func (w *worker) reset() {
	clear(w.queue)
	w.queue, w.last, w.more = nil, 0, false
	clear(w.busy)
	clear(w.gone)
	w.ready, w.acc, w.broken, w.stale = nil, nil, false, true
}

func (w *worker) load() error {
	room := w.d.window - w.live()
	if room <= 0 {
		return nil
	}
	w.compact()
	n := len(w.queue)
	queue, err := w.d.store.AppendPending(w.queue, w.app, w.last, room) // straight into the queue
	if err != nil {
		return err
	}
	w.queue = queue
	w.more = len(queue)-n == room
	if len(queue) > n {
		w.last = queue[len(queue)-1].ID
		w.stale = true
	}
	return nil
}

// compact drops the gone items from the queue once they are a quarter of
// it, keeping the cost at a few steps per item.
func (w *worker) compact() {
	if len(w.gone) < 64 || 4*len(w.gone) < len(w.queue) {
		return
	}
	kept := w.queue[:0]
	for _, it := range w.queue {
		if !w.gone[it.ID] {
			kept = append(kept, it)
		}
	}
	clear(w.queue[len(kept):])
	w.queue = kept
	clear(w.gone)
}

// launch starts pushes until Parallel are in flight or nothing is ready,
// planning more when what was planned is used up.
func (w *worker) launch(ctx context.Context) {
	for w.lanes < w.d.parallel {
		if len(w.ready) == 0 && (!w.stale || !w.replan()) {
			break
		}
		// A job is one unit, or a burst of up to Pipeline units for one
		// receiver host (deliver_burst.go).
		most := w.burstMost()
		var key string
		burst := w.burst[:0]
		i := 0
		for i < len(w.ready) && len(burst) < most {
			u := w.ready[i]
			url := targetURL(w.readyApp, u.kind)
			if len(burst) > 0 && w.appErr == nil && url != "" && !w.down[url] && burstKey(url) != key {
				break // another host: the next job's
			}
			w.ready[i] = unit{}
			i++
			if w.deferFee(u) {
				continue
			}
			switch {
			case w.appErr != nil:
				w.finish(finished{u: u, url: url, r: pushResult{outcome: failed, reason: "app: " + w.appErr.Error()}})
			case url == "":
				w.finish(finished{u: u, url: url, r: pushResult{outcome: nowhere}})
			case w.down[url]:
				w.finish(finished{u: u, url: url, r: pushResult{outcome: failed, reason: "not sent: receiver gave no answer earlier in this round"}})
			default:
				if len(burst) == 0 {
					if key = burstKey(url); key == "" {
						most = 1 // not a URL bursts go to
					}
				}
				burst = append(burst, burstItem{u, url})
			}
		}
		w.ready = w.ready[i:]
		w.burst = burst
		if len(burst) == 0 {
			continue
		}
		j := pushJob{u: burst[0].u, url: burst[0].url, secret: w.readyApp.Secret}
		if len(burst) > 1 {
			j.burst, j.urls = make([]unit, len(burst)), make([]string, len(burst))
			for k, b := range burst {
				j.burst[k], j.urls[k] = b.u, b.url
			}
		}
		clear(burst)
		w.inflight += len(burst)
		w.lanes++
		w.send(ctx, j)
	}
	if len(w.ready) == 0 && !w.stale && !w.retryAt.IsZero() && !w.retryAt.Equal(w.timerAt) {
		w.timer, w.timerAt = w.d.after(w.retryAt.Sub(w.d.now())), w.retryAt
	}
}

// send hands j to a pusher (inflight counts it already), starting one when
// every pusher may be busy: there is then always one that is not sending a
// push, so the hand-over waits at most for it to come back for more.
func (w *worker) send(ctx context.Context, j pushJob) {
	if w.jobs == nil {
		w.jobs = make(chan pushJob)
	}
	if w.npushers < w.lanes {
		w.npushers++
		w.pushers.Add(1)
		go w.pusher(ctx)
	}
	w.jobs <- j
}

// deferFee holds back a fee batch that is not full while other items are
// planned, in flight or being settled, for at most feeBatchWait after its
// first record was queued: the CDRs of those sessions join it at a later
// plan, so CDRs go out in fuller pushes (SPEC §6.2: up to 50 a push) instead
// of one by one as each session reaches its CDR. Its items are planned
// again.
func (w *worker) deferFee(u unit) bool {
	if u.kind != KindFee || len(u.items) >= MaxFeeBatch || (w.inflight == 0 && len(w.busy) <= len(u.items)) ||
		w.d.now().Sub(u.items[0].Created) >= feeBatchWait {
		return false
	}
	for _, it := range u.items {
		delete(w.busy, it.ID)
	}
	w.planner.release(u)
	return true
}

// replan plans the next pushes (a "round": the receivers that gave no
// answer are tried again) and reports whether there are any. The app is
// read once a plan: URLs and secret as they are now.
func (w *worker) replan() bool {
	units, wake := w.planner.plan(w.queue, w.d.now(), maxUnitsPerRound, w.busy, w.gone)
	w.stale = len(units) == maxUnitsPerRound // there may be more
	if len(units) == 0 {
		w.retryAt = wake
		return false
	}
	w.retryAt = time.Time{}
	w.readyApp, w.appErr = w.d.apps(w.app)
	w.down = nil
	for _, u := range units {
		for _, it := range u.items {
			w.busy[it.ID] = true
		}
	}
	w.ready = units
	return true
}

// finish takes a push's outcome into the next store write: delivered items
// deleted; failed ones rescheduled from their first failure (NextRetry) or,
// with no slot left, moved to the dead letters.
func (w *worker) finish(f finished) {
	u, r := f.u, f.r
	defer w.planner.release(u) // the outcome is taken: nothing uses u after this
	if w.broken || r.outcome == aborted {
		return // pushed again after the reload, or left for the next run
	}
	if r.outcome == resend { // its session free again, for the next plan
		for _, it := range u.items {
			delete(w.busy, it.ID)
		}
		w.stale = true
		return
	}
	w.d.m.push(u.kind, r.outcome.String())
	if r.noAnswer {
		if w.down == nil {
			w.down = map[string]bool{}
		}
		w.down[f.url] = true
	}
	j := w.acc
	if j == nil {
		j = &settleJob{}
		w.acc = j
	}
	for _, it := range u.items {
		j.ids = append(j.ids, it.ID)
	}
	switch r.outcome {
	case delivered, nowhere:
		for _, it := range u.items {
			j.delivered = append(j.delivered, it.ID)
		}
		w.d.m.item(u.kind, r.outcome.String(), len(u.items))
	case failed:
		now := w.d.now()
		var retried, died int
		for _, it := range u.items {
			it.Attempts++
			if it.FirstFailure.IsZero() {
				it.FirstFailure = now
			}
			it.LastError = r.reason
			if next, ok := NextRetry(it.FirstFailure, now); ok {
				it.NextAttempt = next
				j.retry = append(j.retry, it)
				retried++
				continue
			}
			j.dead = append(j.dead, it)
			died++
			w.d.log.Error("push given up: dead letter", "app", w.app, "id", it.ID, "sessionId", it.SessionID,
				"attempts", it.Attempts, "reason", it.LastError)
		}
		w.d.m.item(u.kind, "retry", retried)
		w.d.m.item(u.kind, "dead", died)
		w.d.log.Warn("push failed", "app", w.app, "kind", u.kind, "items", len(u.items),
			"firstId", u.items[0].ID, "sessionId", u.items[0].SessionID, "reason", r.reason)
	}
}

// startSettle starts the store write of the outcomes gathered so far,
// unless a write is in flight (one at a time, in order). While fewer
// outcomes are gathered than pushes are in flight, it waits for them at
// most settleGather, so one write carries more outcomes and its fsync is
// shared; the wait is bounded, so a slow push never holds the outcomes of
// other sessions (and so their next items) until it ends. Pebble shares
// fsyncs with the call path's synced writes too (group commit).
func (w *worker) startSettle() {
	if w.settling != nil || w.acc == nil {
		return
	}
	if len(w.acc.ids) < w.inflight && !w.broken && !w.gathered {
		if w.gather == nil {
			w.gather = time.After(settleGather)
		}
		return
	}
	w.gather, w.gathered = nil, false
	j := w.acc
	w.acc = nil
	j.done = make(chan struct{})
	w.settling = j
	go func() {
		j.err = w.record(j)
		close(j.done)
	}()
}

// reap applies the finished write to the queue: the settled items leave it
// (or are updated for their retry) and their sessions may go on. A failed
// write breaks the worker: it reloads from the store once its pushes end.
func (w *worker) reap() {
	j := w.settling
	w.settling = nil
	w.stale = true
	if j.err != nil {
		w.d.log.Error("settle outbox items", "app", w.app, "err", j.err)
		w.broken, w.ready, w.acc = true, nil, nil
		return
	}
	for _, id := range j.ids {
		delete(w.busy, id)
	}
	for _, id := range j.delivered {
		w.drop(id)
	}
	for _, it := range j.dead {
		w.drop(it.ID)
	}
	for _, it := range j.retry {
		if i, ok := w.find(it.ID); ok {
			w.queue[i] = it
		}
	}
	if w.live() == 0 {
		clear(w.queue)
		w.queue = w.queue[:0]
		clear(w.gone)
		return
	}
	w.compact()
}

func (w *worker) find(id uint64) (int, bool) {
	return slices.BinarySearchFunc(w.queue, id, func(it OutboxItem, id uint64) int { return cmp.Compare(it.ID, id) })
}

// drop marks a settled item gone and lets go of its payload.
func (w *worker) drop(id uint64) {
	if i, ok := w.find(id); ok && !w.gone[id] {
		w.queue[i].Payload = nil
		w.gone[id] = true
	}
}

func (w *worker) record(j *settleJob) error {
	if len(j.delivered) > 0 {
		if err := w.d.store.MarkDelivered(w.app, j.delivered...); err != nil {
			return fmt.Errorf("mark delivered: %w", err)
		}
	}
	if len(j.retry) > 0 {
		if err := w.d.store.MarkFailed(j.retry...); err != nil {
			return fmt.Errorf("mark failed: %w", err)
		}
	}
	if len(j.dead) > 0 {
		if err := w.d.store.MoveToDead(j.dead...); err != nil {
			return fmt.Errorf("move to dead: %w", err)
		}
	}
	return nil
}
