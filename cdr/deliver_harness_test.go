package cdr_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/api"
	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// The delivery tests run the real parts: a Pebble directory, the store's
// Outbox, the real X-AKSK signer, and HTTP receivers on loopback started by
// each test. Time is a fake clock: the retry schedule is driven by moving
// it, never by sleeping. Waits have a deadline only so that a broken build
// fails instead of hanging.

const waitLimit = 30 * time.Second

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// fakeClock is Now and After for the Dispatcher and the store. Every timer
// armed is reported on armed, so a test knows the worker is idle and when it
// will wake before it moves the clock.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	armed  chan time.Time
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(at time.Time) *fakeClock {
	return &fakeClock{now: at, armed: make(chan time.Time, 4096)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	at := c.now.Add(d)
	c.timers = append(c.timers, fakeTimer{at, ch})
	select {
	case c.armed <- at:
	default:
	}
	return ch
}

// Set moves the clock to t and fires every timer due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(t) {
			kept = append(kept, tm)
			continue
		}
		tm.ch <- t
	}
	c.timers = kept
}

// waitArmed returns once a timer for exactly at is armed.
func (c *fakeClock) waitArmed(t *testing.T, at time.Time) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case got := <-c.armed:
			if got.Equal(at) {
				return
			}
		case <-deadline:
			t.Fatalf("no timer armed for %v", at)
		}
	}
}

// appBook is the Apps lookup: apps the test can change while it runs.
type appBook struct {
	mu   sync.Mutex
	apps map[string]routing.App
}

func newAppBook(apps ...routing.App) *appBook {
	b := &appBook{apps: map[string]routing.App{}}
	for _, a := range apps {
		b.set(a)
	}
	return b
}

func (b *appBook) set(a routing.App) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.apps[a.Key] = a
}

func (b *appBook) get(key string) (routing.App, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.apps[key]
	if !ok {
		return a, store.ErrAppNotFound
	}
	return a, nil
}

// op is one settled change of the outbox, seen by observed.
type op struct {
	name  string // delivered, failed, dead
	app   string
	ids   []uint64
	items []cdr.OutboxItem
}

// observed is the real store.Outbox, reporting each settle after it is
// written: the test's way to know what the worker did, without polling.
type observed struct {
	cdr.OutboxStore
	ops chan op
}

func (o *observed) MarkDelivered(app string, ids ...uint64) error {
	err := o.OutboxStore.MarkDelivered(app, ids...)
	o.ops <- op{name: "delivered", app: app, ids: ids}
	return err
}

func (o *observed) MarkFailed(items ...cdr.OutboxItem) error {
	err := o.OutboxStore.MarkFailed(items...)
	o.ops <- op{name: "failed", app: items[0].AppKey, items: items}
	return err
}

func (o *observed) MoveToDead(items ...cdr.OutboxItem) error {
	err := o.OutboxStore.MoveToDead(items...)
	o.ops <- op{name: "dead", app: items[0].AppKey, items: items}
	return err
}

// next returns the next settle named name of app, skipping others.
func (o *observed) next(t *testing.T, name, app string) op {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case got := <-o.ops:
			if got.name == name && got.app == app {
				return got
			}
		case <-deadline:
			t.Fatalf("no %q settle for app %s", name, app)
		}
	}
}

// env is one xnum's worth of outbox: store, outbox, dispatcher.
type env struct {
	dir  string
	clk  *fakeClock
	apps *appBook
	st   *store.Store
	ob   *store.Outbox
	obs  *observed
	reg  *prometheus.Registry
	d    *cdr.Dispatcher
	stop func()
}

func newEnv(t testing.TB, dir string, clk *fakeClock, apps *appBook, tune func(*cdr.DispatcherDeps)) *env {
	t.Helper()
	e := &env{dir: dir, clk: clk, apps: apps, reg: prometheus.NewRegistry()}
	var err error
	e.st, err = store.Open(dir, store.Options{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.st.Close() })
	if e.ob, err = store.OpenOutbox(e.st); err != nil {
		t.Fatal(err)
	}
	e.obs = &observed{OutboxStore: e.ob, ops: make(chan op, 10000)}
	deps := cdr.DispatcherDeps{
		Store:      e.obs,
		Apps:       apps.get,
		Sign:       api.SignHeaders,
		Now:        clk.Now,
		After:      clk.After,
		Registerer: e.reg,
		Rescan:     -1, // the tests' timers are the workers' alone
	}
	if tune != nil {
		tune(&deps)
	}
	if e.d, err = cdr.NewDispatcher(deps); err != nil {
		t.Fatal(err)
	}
	return e
}

// run starts the Dispatcher; stop (also at cleanup) ends it and waits.
func (e *env) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.d.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(e.stop)
}

// push is one request a receiver got.
type push struct {
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time // fake clock when it arrived
	Status int
}

// receiver is an enterprise's webhook endpoint on loopback. answer decides
// each status (and may block, as a hanging receiver does).
type receiver struct {
	srv *httptest.Server
	got chan push
}

func newReceiver(t *testing.T, clk *fakeClock, answer func(p push, r *http.Request) int) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan push, 10000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p := push{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: clk.Now()}
		p.Status = answer(p, r)
		rc.got <- p // before the answer: the next push cannot be recorded first
		w.WriteHeader(p.Status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func ok200(push, *http.Request) int { return http.StatusOK }

func (rc *receiver) statusURL() string { return rc.srv.URL + "/status" }
func (rc *receiver) feeURL() string    { return rc.srv.URL + "/fee" }

// next returns the next request the receiver answered.
func (rc *receiver) next(t *testing.T) push {
	t.Helper()
	select {
	case p := <-rc.got:
		return p
	case <-time.After(waitLimit):
		t.Fatal("receiver got nothing")
		return push{}
	}
}

// none asserts the receiver has answered nothing more so far.
func (rc *receiver) none(t *testing.T, why string) {
	t.Helper()
	select {
	case p := <-rc.got:
		t.Fatalf("%s: receiver got %s %s", why, p.Path, p.Body)
	default:
	}
}

var paramRE = regexp.MustCompile(`(\w+)\s*=\s*"([^"]*)"`)

func params(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range paramRE.FindAllStringSubmatch(s, -1) {
		m[kv[1]] = kv[2]
	}
	return m
}

// verifyAKSK checks a push's X-AKSK signature from the formula of SPEC §5,
// written here independently of api: d = Base64(HMAC-SHA256(key=appSecret,
// msg=Nonce+Created)). It returns the nonce.
func verifyAKSK(h http.Header, appKey, secret string) (string, error) {
	auth, ok := strings.CutPrefix(h.Get("Authorization"), "AKSK ")
	if !ok {
		return "", fmt.Errorf("authorization %q", h.Get("Authorization"))
	}
	if a := params(auth); a["realm"] != "SDP" || a["profile"] != "UsernameToken" || a["type"] != "Appkey" {
		return "", fmt.Errorf("authorization params %v", a)
	}
	x, ok := strings.CutPrefix(h.Get("X-AKSK"), "UsernameToken ")
	if !ok {
		return "", fmt.Errorf("x-aksk %q", h.Get("X-AKSK"))
	}
	p := params(x)
	if p["Username"] != appKey {
		return "", fmt.Errorf("username %q, want %q", p["Username"], appKey)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", p["Created"]); err != nil {
		return "", fmt.Errorf("created %q: %w", p["Created"], err)
	}
	if p["Nonce"] == "" {
		return "", errors.New("no nonce")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(p["Nonce"] + p["Created"]))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); p["PasswordDigest"] != want {
		return "", fmt.Errorf("digest %q, want %q", p["PasswordDigest"], want)
	}
	return p["Nonce"], nil
}

// metricValue reads one sample of a gathered metric with exactly labels.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
