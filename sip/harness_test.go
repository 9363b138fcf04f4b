package sip

// The test harness: xnum on 127.0.0.1 with a real Pebble store, a caller UA
// "A" on 127.0.0.2 and a callee trunk UA "B" on 127.0.0.3 (distinct loopback
// addresses, so that "A's host" is something the B leg can be searched for).
// Everything is real SIP over loopback; every wait is a channel read with a
// deadline.

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

const (
	tX        = "+8617000000000" // the X of the demo binding
	tX2       = "+8617000000001" // another X of the same app, no binding
	tA        = "+8613800000001"
	tB        = "+8613800000002"
	tStranger = "+8613900000009"
	tUnprov   = "+8617100000000" // valid mobile, no X of the platform
	xHost     = "127.0.0.1"
	aHost     = "127.0.0.2"
	bHost     = "127.0.0.3"

	waitFor = 10 * time.Second // every deadline of the harness
)

// sdpOffer is A's offer: its o= and p=/e=/i=/u= lines and a=tool carry A's
// identity and must never reach B.
const sdpOffer = "v=0\r\n" +
	"o=alice-ua 1111 1 IN IP4 127.0.0.2\r\n" +
	"s=Alice Secret Session\r\n" +
	"i=alice private info\r\n" +
	"u=http://alice.example/\r\n" +
	"e=alice@example.com\r\n" +
	"p=+86 138 0000 0001\r\n" +
	"c=IN IP4 127.0.0.9\r\n" +
	"t=0 0\r\n" +
	"a=tool:AliceUA 1.0\r\n" +
	"m=audio 40000 RTP/AVP 0 8 101\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n"

// sdpAnswer is B's answer, with B's identity in the same places.
const sdpAnswer = "v=0\r\n" +
	"o=bob-ua 2222 7 IN IP4 127.0.0.3\r\n" +
	"s=Bob Session\r\n" +
	"i=bob private info\r\n" +
	"e=bob@example.com\r\n" +
	"p=+86 138 0000 0002\r\n" +
	"c=IN IP4 127.0.0.8\r\n" +
	"t=0 0\r\n" +
	"a=tool:BobPBX 9\r\n" +
	"m=audio 50000 RTP/AVP 0 101\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n"

type tenv struct {
	t    testing.TB
	srv  *Server
	st   *store.Store
	cdrs chan cdr.Record
	reg  *prometheus.Registry
	A, B *peer

	lastBInvite []byte // body of the last B-leg INVITE answer() saw
}

type envConfig struct {
	deps        func(*Deps)
	aTransport  string // "UDP" (default) or "TCP"
	bTransport  string
	bDropCancel bool // B never sees CANCEL: a CANCEL "crossing" B's 200
}

type envOption func(*envConfig)

func withDeps(f func(*Deps)) envOption { return func(c *envConfig) { c.deps = f } }
func withTCP() envOption {
	return func(c *envConfig) { c.aTransport, c.bTransport = "TCP", "TCP" }
}
func withBDroppingCancel() envOption { return func(c *envConfig) { c.bDropCancel = true } }

// testLogger logs to stderr with XNUM_TEST_LOG=1, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("XNUM_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newEnv starts a store with the demo app (AXB, X numbers +8617000000000…9,
// binding A–X–B), B listening, xnum with trunk.outbound = B, and A.
func newEnv(t testing.TB, opts ...envOption) *tenv {
	t.Helper()
	var cfg envConfig
	for _, o := range opts {
		o(&cfg)
	}
	e := &tenv{t: t, cdrs: make(chan cdr.Record, 256), reg: prometheus.NewRegistry()}
	st, err := store.Open(t.TempDir(), store.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	if err := st.CreateApp(routing.App{Key: "demo", Secret: "demo-secret", SPID: "sp-demo", Mode: routing.ModeAXB}); err != nil {
		t.Fatal(err)
	}
	var xs []routing.Number
	for i := range 10 {
		xs = append(xs, routing.Number("+861700000000"+strconv.Itoa(i)))
	}
	if err := st.AddNumbers("demo", xs, "0755"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BindAXB(store.BindRequest{AppKey: "demo", X: tX, A: tA, B: tB, UserData: "order-42"}); err != nil {
		t.Fatal(err)
	}

	e.B = newPeer(t, "B", bHost, orUDP(cfg.bTransport), cfg.bDropCancel)
	plan, err := routing.NewPlan(routing.DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{
		SIP: configs.SIP{
			Listen:      xHost + ":0",
			T1:          50 * time.Millisecond,
			RingTimeout: 30 * time.Second,
		},
		Trunk: configs.Trunk{
			Outbound:       e.B.addr(),
			Transport:      strings.ToLower(orUDP(cfg.bTransport)),
			BLegPAI:        true,
			TrustedSources: []string{"127.0.0.0/8"},
		},
		Plan:       plan,
		Table:      routing.NewTable(nil),
		Lookup:     st,
		IsX:        func(n routing.Number) bool { ok, _ := st.IsX(n); return ok },
		CDR:        chanSink(e.cdrs),
		Registerer: e.reg,
		Logger:     testLogger(),
	}
	if cfg.deps != nil {
		cfg.deps(&d)
	}
	srv, err := NewServer(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	e.A = newPeer(t, "A", aHost, orUDP(cfg.aTransport), false)
	return e
}

func orUDP(s string) string {
	if s == "" {
		return "UDP"
	}
	return s
}

type chanSink chan cdr.Record

func (c chanSink) Emit(r cdr.Record) error { c <- r; return nil }

// cdr waits for the next CDR.
func (e *tenv) cdr() cdr.Record {
	e.t.Helper()
	select {
	case r := <-e.cdrs:
		return r
	case <-time.After(waitFor):
		e.t.Fatal("no CDR")
		return cdr.Record{}
	}
}

// idle waits until xnum has no active call left.
func (e *tenv) idle() {
	e.t.Helper()
	waitUntil(e.t, "no active call", func() bool { return e.srv.ActiveCalls() == 0 })
}

// waitUntil polls cond on a ticker until it holds or the deadline passes.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitFor)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// metric reads a counter of xnum's registry (0 when absent).
func (e *tenv) metric(name string, labels map[string]string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
		}
	}
	return 0
}

// goroutines is the current goroutine count after letting finished ones go.
func goroutines() int {
	runtime.GC()
	return runtime.NumGoroutine()
}
