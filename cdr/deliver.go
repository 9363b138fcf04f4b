package cdr

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/xnum/xnum/routing"
)

// Delivery of events and CDRs to the enterprise (SPEC §6): the producer side
// (EmitEvent, EmitCDR, RecorderStore) writes each item into the durable
// outbox, synced, and pokes the Dispatcher without waiting for it; the
// Dispatcher runs one worker goroutine per app with pending items, so an
// app whose receiver fails or hangs only ever delays itself.
//
// Ordering: an item is pushed only once every earlier item of its sessionId
// is delivered or dead (SPEC §6.2 "order is kept per sessionId"); items of
// other sessions of the same app go on meanwhile. docs/EVENTS.md has the
// whole contract.

// Signer signs an outbound push with the X-AKSK scheme of SPEC §5 using the
// app's secret, setting its headers through set (api.SignHeaders; cdr
// cannot import api, which imports cdr).
type Signer func(set func(key, value string), appKey, appSecret string, now time.Time) error

// Defaults of DispatcherDeps.
const (
	DefaultTimeout  = 5 * time.Second // webhook.timeout (SPEC §6.1)
	DefaultParallel = 128             // pushes in flight per app (webhook.parallel)
	DefaultWindow   = 10000           // pending items per app held in memory
	DefaultRescan   = time.Minute     // safety sweep for pending apps
)

// maxUnitsPerRound bounds one plan of a worker (an event push or a fee
// batch is a unit): the pushes it starts as slots free up before it plans
// again, so that new items are picked up between plans.
const maxUnitsPerRound = 128

// DispatcherDeps wires a Dispatcher. Store, Apps and Sign are required.
type DispatcherDeps struct {
	// Store is the durable outbox (store.Outbox).
	Store OutboxStore
	// Apps returns an app by key, read at each push so that a changed
	// statusUrl, feeUrl or secret applies at once (store.Store.GetApp).
	Apps func(appKey string) (routing.App, error)
	// Sign signs each push (api.SignHeaders).
	Sign Signer
	// Timeout is webhook.timeout: a push is delivered when a 2xx answer
	// arrives within it. 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock of the retry schedule; nil means time.Now.
	Now func() time.Time
	// After waits on that clock; nil means time.After. Tests inject both
	// to drive the schedule without sleeping.
	After func(time.Duration) <-chan time.Time
	// Logger; nil means no logging. Logs carry ids and sessionIds, never
	// a number or a payload.
	Logger *slog.Logger
	// Registerer receives the delivery metrics; nil means none.
	Registerer prometheus.Registerer
	// Parallel is how many pushes of one app may be in flight (on
	// different sessions); 0 means DefaultParallel. A slot is refilled as
	// soon as its push ends (docs/EVENTS.md "Ordering").
	Parallel int
	// Pipeline is how many pushes one connection may carry at once to a
	// receiver that answers fast (HTTP/1.1 pipelining, deliver_burst.go);
	// 1 means one at a time, 0 means DefaultPipeline.
	Pipeline int
	// TLS is the base of the TLS config of https pushes (its RootCAs, a
	// private CA's); nil means Go's defaults and the system's roots.
	TLS *tls.Config
	// Window is how many pending items of one app a worker holds in memory
	// (later ones wait on disk); 0 means DefaultWindow.
	Window int
	// Rescan is how often Run looks for apps with pending items it was not
	// told about (a Redrive made directly on the store); 0 means
	// DefaultRescan, negative means never.
	Rescan time.Duration
}

// Dispatcher pushes the outbox to the apps' receivers and is the producer
// API for the call path. Its Emit methods are safe for concurrent use and
// work before Run (the items wait in the outbox).
type Dispatcher struct {
	store    OutboxStore
	apps     func(string) (routing.App, error)
	sign     Signer
	timeout  time.Duration
	now      func() time.Time
	after    func(time.Duration) <-chan time.Time
	log      *slog.Logger
	m        *metrics
	parallel int
	pipeline int
	tls      *tls.Config
	window   int
	rescan   time.Duration

	mu      sync.Mutex // guards running, ctx, conns, clients, pools and workers; pokes are sent under it
	running bool
	ctx     context.Context
	conns   *connSet                    // of this Run: closed when its ctx ends
	clients map[string]*fasthttp.Client // of this Run, by app (deliver_push.go)
	pools   map[string]*connPool        // of this Run, by app (deliver_burst.go)
	workers map[string]*worker
	wg      sync.WaitGroup // workers
}

// NewDispatcher checks deps and applies the defaults.
func NewDispatcher(deps DispatcherDeps) (*Dispatcher, error) {
	switch {
	case deps.Store == nil:
		return nil, ErrNoOutbox
	case deps.Apps == nil:
		return nil, ErrNoApps
	case deps.Sign == nil:
		return nil, ErrNoSigner
	}
	d := &Dispatcher{
		store: deps.Store, apps: deps.Apps, sign: deps.Sign,
		timeout: deps.Timeout, now: deps.Now, after: deps.After, log: deps.Logger,
		parallel: deps.Parallel, pipeline: deps.Pipeline, tls: deps.TLS, window: deps.Window, rescan: deps.Rescan,
		workers: map[string]*worker{},
	}
	if d.timeout <= 0 {
		d.timeout = DefaultTimeout
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.after == nil {
		d.after = time.After
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("component", "outbox")
	if d.parallel <= 0 {
		d.parallel = DefaultParallel
	}
	if d.pipeline <= 0 {
		d.pipeline = DefaultPipeline
	}
	if d.window <= 0 {
		d.window = DefaultWindow
	}
	if d.rescan == 0 {
		d.rescan = DefaultRescan
	}
	m, err := newMetrics(deps.Registerer, d.store)
	if err != nil {
		return nil, err
	}
	d.m = m
	return d, nil
}

// EmitEvent puts ev for appKey into the outbox, synced, and returns; the push
// happens later. appKey "" (a call on no provisioned X) and an app without
// statusUrl queue nothing. The call path emits a session's events one after
// the other from the goroutine that owns the call: that order is the order
// of delivery.
func (d *Dispatcher) EmitEvent(appKey string, ev Event) error {
	if appKey == "" || !d.wants(appKey, KindEvent) {
		d.m.item(KindEvent, "skipped", 1)
		return nil
	}
	it, err := NewEventItem(appKey, ev)
	if err != nil {
		return err
	}
	if _, err := d.store.Enqueue(it); err != nil {
		return fmt.Errorf("cdr: enqueue %s event: %w", ev.EventType, err)
	}
	d.m.item(KindEvent, "enqueued", 1)
	d.notify(appKey)
	return nil
}

// EmitCDR puts rec for appKey into the outbox, synced, without the local
// copy (Recorder.Emit on RecorderStore does both in one write). appKey ""
// and an app without feeUrl queue nothing.
func (d *Dispatcher) EmitCDR(appKey string, rec Record) error {
	if rec.ICID == "" {
		return ErrNoICID
	}
	if appKey == "" || !d.wants(appKey, KindFee) {
		d.m.item(KindFee, "skipped", 1)
		return nil
	}
	it, err := NewFeeItem(appKey, rec)
	if err != nil {
		return err
	}
	if _, err := d.store.Enqueue(it); err != nil {
		return fmt.Errorf("cdr: enqueue cdr %s: %w", rec.ICID, err)
	}
	d.m.item(KindFee, "enqueued", 1)
	d.notify(appKey)
	return nil
}

// RecorderStore is the Store to give NewRecorder so that Recorder.Emit
// keeps the local CDR copy and queues the record for rec.AppKey's feeUrl in
// one synced write: NewRecorder(d.RecorderStore(), cdrFile, logger). A
// record with no AppKey (an unprovisioned number) is only kept locally.
func (d *Dispatcher) RecorderStore() Store { return recorderStore{d} }

type recorderStore struct{ d *Dispatcher }

func (r recorderStore) PutCDR(rec Record) error {
	d := r.d
	var items []OutboxItem
	if rec.AppKey != "" && d.wants(rec.AppKey, KindFee) {
		it, err := NewFeeItem(rec.AppKey, rec)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	if _, err := d.store.EnqueueWithCDR(rec, items...); err != nil {
		return err
	}
	if len(items) == 0 {
		d.m.item(KindFee, "skipped", 1)
		return nil
	}
	d.m.item(KindFee, "enqueued", 1)
	d.notify(rec.AppKey)
	return nil
}

// Redrive makes the dead item id pending again (a fresh schedule, due now)
// and wakes its app's worker. This is what POST
// /admin/v1/outbox/dead/{id}/redrive calls (SPEC §8).
func (d *Dispatcher) Redrive(id uint64) (OutboxItem, error) {
	it, err := d.store.Redrive(id)
	if err != nil {
		return it, err
	}
	d.m.item(it.Kind, "redriven", 1)
	d.notify(it.AppKey)
	return it, nil
}

// wants reports whether appKey has a receiver for kind. When the app
// cannot be read the item is queued anyway: the push decides then.
func (d *Dispatcher) wants(appKey, kind string) bool {
	app, err := d.apps(appKey)
	if err != nil {
		return true
	}
	return targetURL(app, kind) != ""
}

func targetURL(app routing.App, kind string) string {
	if kind == KindFee {
		return app.FeeURL
	}
	return app.StatusURL
}

// Run delivers until ctx ends, then waits for its workers and returns nil.
// In-flight pushes are cancelled (their connections are closed); their
// items stay pending unchanged.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return ErrRunning
	}
	conns := newConnSet(ctx, d.timeout)
	d.running, d.ctx, d.conns, d.clients = true, ctx, conns, map[string]*fasthttp.Client{}
	d.pools = map[string]*connPool{}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running = false // no worker starts after this
		clients := d.clients
		d.conns, d.clients, d.pools = nil, nil, nil
		d.mu.Unlock()
		conns.close() // the pushes in flight end now, aborted
		d.wg.Wait()
		for _, c := range clients {
			c.CloseIdleConnections() // lets fasthttp's cleaners end
		}
	}()
	d.sweep()
	for {
		var tick <-chan time.Time
		if d.rescan > 0 {
			tick = d.after(d.rescan)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			d.sweep()
		}
	}
}

// sweep wakes a worker for every app with pending items: at start (items
// left by an earlier run) and every Rescan.
func (d *Dispatcher) sweep() {
	apps, err := d.store.PendingApps()
	if err != nil {
		d.log.Error("list apps with pending items", "err", err)
		return
	}
	for _, app := range apps {
		d.notify(app)
	}
}

// notify wakes app's worker, starting it if there is none. It never blocks
// on the worker: this is the producer's side (SPEC §6.2: delivery never
// blocks call handling).
func (d *Dispatcher) notify(app string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running {
		return // Run picks the items up when it starts
	}
	if w := d.workers[app]; w != nil {
		w.wake()
		return
	}
	w := newWorker(d, app, d.client(app), d.conns, d.pool(app))
	d.workers[app] = w
	d.wg.Add(1)
	go w.run(d.ctx)
}

// retire removes w unless it was woken since it last looked at the store
// (force: ctx ended). Pokes are sent under d.mu, so none is lost between
// the check and the removal.
func (d *Dispatcher) retire(w *worker, force bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !force && len(w.poke) > 0 {
		return false
	}
	if d.workers[w.app] == w {
		delete(d.workers, w.app)
	}
	return true
}
