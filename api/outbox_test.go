package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xnum/xnum/api"
	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// The dead-letter endpoints (SPEC §6.2, §8) over real HTTP, on a real
// store, outbox and dispatcher; only the dispatcher's clock is a fake, so
// that the retry schedule (minutes to hours) runs out at once.

// obClock is the dispatcher's clock: Now, and After timers that fire when
// the test moves the time; each armed timer is announced on armed.
type obClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []obTimer
	armed  chan time.Time
}

type obTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *obClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *obClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, obTimer{c.now.Add(d), ch})
	select {
	case c.armed <- c.now.Add(d):
	default:
	}
	return ch
}

func (c *obClock) Set(t time.Time) {
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

// deadLetters joins outbox and dispatcher as cmd/xnum does.
type deadLetters struct {
	ob   *store.Outbox
	disp *cdr.Dispatcher
}

func (d deadLetters) ListDead(app string, i, n int) ([]cdr.OutboxItem, int, error) {
	return d.ob.ListDead(app, i, n)
}
func (d deadLetters) Redrive(id uint64) (cdr.OutboxItem, error) { return d.disp.Redrive(id) }

type obPush struct {
	status int
	aksk   string
	body   string
}

type obEnv struct {
	t      *testing.T
	st     *store.Store
	ob     *store.Outbox
	disp   *cdr.Dispatcher
	clk    *obClock
	api    *httptest.Server
	pushes chan obPush
	status atomic.Int32 // the receiver's answer
}

func newObEnv(t *testing.T, t0 time.Time) *obEnv {
	t.Helper()
	e := &obEnv{t: t, clk: &obClock{now: t0, armed: make(chan time.Time, 64)}, pushes: make(chan obPush, 64)}
	e.status.Store(http.StatusServiceUnavailable)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		st := int(e.status.Load())
		e.pushes <- obPush{status: st, aksk: r.Header.Get("X-AKSK"), body: string(b)}
		w.WriteHeader(st)
	}))
	t.Cleanup(rc.Close)

	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	if err := st.CreateApp(routing.App{Key: "app1", Secret: "app1-secret", Mode: routing.ModeAXB, StatusURL: rc.URL + "/status"}); err != nil {
		t.Fatal(err)
	}
	if e.ob, err = store.OpenOutbox(st); err != nil {
		t.Fatal(err)
	}
	e.disp, err = cdr.NewDispatcher(cdr.DispatcherDeps{Store: e.ob, Apps: st.GetApp, Sign: api.SignHeaders,
		Now: e.clk.Now, After: e.clk.After, Rescan: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = e.disp.Run(ctx); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran; _ = st.Close() }) // Run returns before the store closes

	plan, err := routing.NewPlan(routing.DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := api.New(api.Deps{Store: st, Plan: plan, Outbox: deadLetters{e.ob, e.disp},
		Config: configs.API{AdminToken: adminToken}})
	e.api = httptest.NewServer(s.Handler())
	t.Cleanup(e.api.Close)
	return e
}

func (e *obEnv) push() obPush {
	e.t.Helper()
	select {
	case p := <-e.pushes:
		return p
	case <-time.After(10 * time.Second):
		e.t.Fatal("no push within 10s")
		return obPush{}
	}
}

func (e *obEnv) waitArmed(at time.Time) {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-e.clk.armed:
			if got.Equal(at) {
				return
			}
		case <-deadline:
			e.t.Fatalf("no timer armed for %v", at)
		}
	}
}

// adminCall sends one admin request and decodes the answer.
func (e *obEnv) adminCall(method, path, token string, out any) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		ResultCode string `json:"resultcode"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp.StatusCode, env.ResultCode
}

type deadPage struct {
	Total int `json:"total"`
	Items []struct {
		ID           uint64          `json:"id"`
		AppKey       string          `json:"appKey"`
		Kind         string          `json:"kind"`
		SessionID    string          `json:"sessionId"`
		Payload      json.RawMessage `json:"payload"`
		Attempts     int             `json:"attempts"`
		FirstFailure time.Time       `json:"firstFailure"`
		LastError    string          `json:"lastError"`
	} `json:"items"`
}

// waitDead polls the list until it holds n items (the dispatcher parks an
// item after its last push has been answered).
func (e *obEnv) waitDead(query string, n int) deadPage {
	e.t.Helper()
	var page deadPage
	obPoll(e.t, fmt.Sprintf("%d dead items", n), func() bool {
		page = deadPage{}
		if code, rc := e.adminCall("GET", "/admin/v1/outbox/dead"+query, adminToken, &page); code != 200 || rc != "0" {
			e.t.Fatalf("list dead: HTTP %d resultcode %s", code, rc)
		}
		return page.Total == n
	})
	return page
}

// obPoll checks cond on a ticker until it holds, or fails at a deadline:
// the store changes without telling anyone.
func obPoll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestDeadLetterAdmin: an event whose receiver keeps failing runs out of
// its retry schedule and is parked; the admin API lists it (filtered,
// paged) and re-drives it; the receiver then gets it, signed, and the dead
// list is empty. Bad ids, unknown ids and a wrong token are refused.
func TestDeadLetterAdmin(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	e := newObEnv(t, t0)
	ev := cdr.Event{EventType: cdr.EventDisconnect, StatusInfo: cdr.StatusInfo{
		Timestamp: "2025-03-04 05:06:07", SessionID: "sess-1", Caller: numA, Called: x1, StateCode: 8014, StateDesc: "no binding"}}
	if err := e.disp.EmitEvent("app1", ev); err != nil {
		t.Fatal(err)
	}
	if p := e.push(); p.status != http.StatusServiceUnavailable {
		t.Fatalf("first push answered %d", p.status)
	}
	// The failure is settled once the retry at +1 min is armed; then the
	// clock jumps past the last slot (+300 min): the retry fails and the
	// item is dead.
	e.waitArmed(t0.Add(time.Minute))
	e.clk.Set(t0.Add(301 * time.Minute))
	e.push()
	page := e.waitDead("?appKey=app1&pageIndex=1&pageSize=10", 1)
	it := page.Items[0]
	want, _ := json.Marshal(ev)
	if it.AppKey != "app1" || it.Kind != "event" || it.SessionID != "sess-1" || it.Attempts != 2 ||
		!it.FirstFailure.Equal(t0) || it.LastError != "http status 503" || string(it.Payload) != string(want) {
		t.Fatalf("dead item %+v", it)
	}
	if p := e.waitDead("?appKey=other", 0); len(p.Items) != 0 {
		t.Fatalf("other app's page %+v", p)
	}
	if p := e.waitDead("?pageIndex=2&pageSize=10", 1); len(p.Items) != 0 {
		t.Fatalf("page 2 holds %d items", len(p.Items))
	}

	for _, c := range []struct {
		path, token string
		http        int
		code        string
	}{
		{"/admin/v1/outbox/dead/abc/redrive", adminToken, 400, "1010002"},
		{"/admin/v1/outbox/dead/0/redrive", adminToken, 400, "1010002"},
		{fmt.Sprintf("/admin/v1/outbox/dead/%d/redrive", it.ID+1), adminToken, 404, "1016001"},
		{fmt.Sprintf("/admin/v1/outbox/dead/%d/redrive", it.ID), "wrong-token", 401, "1020176"},
	} {
		if h, rc := e.adminCall("POST", c.path, c.token, nil); h != c.http || rc != c.code {
			t.Errorf("POST %s (token %s): HTTP %d %s, want %d %s", c.path, c.token, h, rc, c.http, c.code)
		}
	}
	if h, rc := e.adminCall("GET", "/admin/v1/outbox/dead?pageSize=5000", adminToken, nil); h != 400 || rc != "1010002" {
		t.Errorf("pageSize 5000: HTTP %d %s", h, rc)
	}

	e.status.Store(http.StatusOK)
	var re struct {
		Item struct {
			ID       uint64 `json:"id"`
			Attempts int    `json:"attempts"`
		} `json:"item"`
	}
	path := fmt.Sprintf("/admin/v1/outbox/dead/%d/redrive", it.ID)
	if h, rc := e.adminCall("POST", path, adminToken, &re); h != 200 || rc != "0" {
		t.Fatalf("redrive: HTTP %d %s", h, rc)
	}
	if re.Item.ID == it.ID || re.Item.Attempts != 0 {
		t.Errorf("re-driven item %+v: want a new id and a fresh schedule", re.Item)
	}
	p := e.push()
	if p.status != http.StatusOK || p.body != string(want) || !strings.Contains(p.aksk, `Username="app1"`) {
		t.Fatalf("re-driven push %+v", p)
	}
	e.waitDead("", 0)
	obPoll(t, "an empty outbox after delivery", func() bool {
		pending, dead, err := e.ob.Depth()
		if err != nil {
			t.Fatal(err)
		}
		return pending == 0 && dead == 0
	})
	if h, rc := e.adminCall("POST", path, adminToken, nil); h != 404 || rc != "1016001" {
		t.Errorf("second redrive of %d: HTTP %d %s, want 404 1016001", it.ID, h, rc)
	}
}

// TestDeadLetterAdminUnwired: without an outbox the endpoints say so.
func TestDeadLetterAdminUnwired(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	plan, _ := routing.NewPlan(routing.DefaultPlanConfig())
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Plan: plan, Config: configs.API{AdminToken: adminToken}}).Handler())
	defer srv.Close()
	for _, m := range [][2]string{{"GET", "/admin/v1/outbox/dead"}, {"POST", "/admin/v1/outbox/dead/1/redrive"}} {
		req, _ := http.NewRequest(m[0], srv.URL+m[1], nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotImplemented {
			t.Errorf("%s %s: HTTP %d, want 501", m[0], m[1], resp.StatusCode)
		}
	}
}
