package sip

// The test harness: xnum on 127.0.0.1 with a real Pebble store, a caller UA
// "A" on 127.0.0.2 and a callee trunk UA "B" on 127.0.0.3 (distinct loopback
// addresses, so that "A's host" is something the B leg can be searched for).
// Everything is real SIP over loopback; every wait is a channel read with a
// deadline.

import (
	"context"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
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

// peer is a test UA on its own loopback address: A (caller) or B (trunk).
type peer struct {
	t         testing.TB
	name      string
	ua        *sipgo.UserAgent
	tp        *sip.TransportLayer
	txl       *sip.TransactionLayer
	host      string
	port      int
	transport string
	laddr     sip.Addr
	reqs      chan srvReq
}

// srvReq is a request the peer received, with its server transaction.
type srvReq struct {
	req *sip.Request
	tx  *sip.ServerTx
}

func newPeer(t testing.TB, name, host, transport string, dropCancel bool) *peer {
	t.Helper()
	p := &peer{t: t, name: name, host: host, transport: transport, reqs: make(chan srvReq, 64)}
	filter := func(_ sip.TransportReadProps, data []byte) ([]byte, error) {
		if dropCancel && strings.HasPrefix(string(data), "CANCEL ") {
			return nil, nil
		}
		return data, nil
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(testLogger()),
			sip.WithTransportLayerReadFilter(filter)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(testLogger()),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		t.Fatal(err)
	}
	p.ua, p.tp, p.txl = ua, ua.TransportLayer(), ua.TransactionLayer()
	p.txl.OnRequest(func(req *sip.Request, tx *sip.ServerTx) { p.reqs <- srvReq{req, tx} })
	if transport == "TCP" {
		l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.ParseIP(host)})
		if err != nil {
			t.Fatal(err)
		}
		p.port = l.Addr().(*net.TCPAddr).Port
		go p.tp.ServeTCP(l)
		t.Cleanup(func() { l.Close() })
	} else {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
		if err != nil {
			t.Fatal(err)
		}
		p.port = c.LocalAddr().(*net.UDPAddr).Port
		p.laddr = sip.Addr{IP: net.ParseIP(host), Port: p.port}
		p.tp.Pool("udp").Add(c.LocalAddr().String(),
			&sip.UDPConnection{PacketConn: c, PacketAddr: c.LocalAddr().String(), Listener: true})
		go p.tp.ServeUDP(c)
		t.Cleanup(func() { c.Close() })
	}
	t.Cleanup(func() { ua.Close() })
	return p
}

func (p *peer) addr() string { return net.JoinHostPort(p.host, strconv.Itoa(p.port)) }

func (p *peer) contact() *sip.ContactHeader {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: strings.ToLower(p.name) + "-contact", Host: p.host, Port: p.port}}
	if p.transport == "TCP" {
		c.Address.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	}
	return c
}

func (p *peer) via() *sip.ViaHeader {
	return &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: p.transport,
		Host: p.host, Port: p.port, Params: sip.HeaderParams{{K: "branch", V: sip.GenerateBranch()}}}
}

// prepare sets how a request leaves the peer.
func (p *peer) prepare(req *sip.Request) {
	req.SetTransport(p.transport)
	if p.transport == "UDP" {
		req.Laddr = p.laddr
	}
}

// expect returns the next request the peer receives, which must be method.
// An ACK's transaction is terminated at once.
func (p *peer) expect(method sip.RequestMethod) srvReq {
	p.t.Helper()
	select {
	case r := <-p.reqs:
		if r.req.Method != method {
			p.t.Fatalf("%s: got %s, want %s", p.name, r.req.Method, method)
		}
		if r.req.IsAck() {
			r.tx.Terminate()
		}
		return r
	case <-time.After(waitFor):
		p.t.Fatalf("%s: no %s", p.name, method)
		return srvReq{}
	}
}

// expectAll returns the next requests, one of each method in any order
// (sipgo handles each message on its own goroutine, so an ACK and a BYE sent
// in that order may surface in either).
func (p *peer) expectAll(methods ...sip.RequestMethod) map[sip.RequestMethod]srvReq {
	p.t.Helper()
	want := map[sip.RequestMethod]bool{}
	for _, m := range methods {
		want[m] = true
	}
	got := map[sip.RequestMethod]srvReq{}
	for len(got) < len(methods) {
		select {
		case r := <-p.reqs:
			if !want[r.req.Method] || got[r.req.Method].req != nil {
				p.t.Fatalf("%s: got %s, want %v", p.name, r.req.Method, methods)
			}
			if r.req.IsAck() {
				r.tx.Terminate()
			}
			got[r.req.Method] = r
		case <-time.After(waitFor):
			p.t.Fatalf("%s: got %d of %v", p.name, len(got), methods)
		}
	}
	return got
}

// respond answers a received request; tag is the To tag of the peer's
// dialog ("" keeps what the request has or lets sipgo pick).
func (p *peer) respond(r srvReq, status int, tag string, body string, hdrs ...sip.Header) *sip.Response {
	p.t.Helper()
	res := sip.NewResponseFromRequest(r.req, status, "Peer Says "+strconv.Itoa(status), nil)
	if tag != "" {
		res.To().Params.Add("tag", tag)
	}
	if status >= 101 && status < 300 {
		res.AppendHeader(p.contact())
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if body != "" {
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
		res.SetBody([]byte(body))
	}
	if err := r.tx.Respond(res); err != nil {
		p.t.Logf("%s: respond %d: %v", p.name, status, err)
	}
	if r.req.IsInvite() && status >= 300 {
		// Take the ACK of the failure, or sipgo parks it on a goroutine
		// until Timer I.
		go func() {
			select {
			case <-r.tx.Acks():
			case <-r.tx.Done():
			}
		}()
	}
	return res
}

// tdlg is the peer's side of one dialog with xnum.
type tdlg struct {
	p                   *peer
	callID              string
	localURI, remoteURI sip.Uri
	localTag, remoteTag string
	target              sip.Uri
	seq                 uint32
}

// request builds an in-dialog request.
func (d *tdlg) request(method sip.RequestMethod, seq uint32, body string) *sip.Request {
	req := sip.NewRequest(method, d.target)
	req.AppendHeader(d.p.via())
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{Address: d.localURI, Params: sip.HeaderParams{{K: "tag", V: d.localTag}}})
	to := &sip.ToHeader{Address: d.remoteURI}
	if d.remoteTag != "" {
		to.Params = sip.HeaderParams{{K: "tag", V: d.remoteTag}}
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(d.p.contact())
	}
	if body != "" {
		ct := sip.ContentTypeHeader("application/sdp")
		req.AppendHeader(&ct)
		req.SetBody([]byte(body))
	} else {
		req.SetBody(nil)
	}
	d.p.prepare(req)
	return req
}

// send starts a new in-dialog client transaction.
func (d *tdlg) send(method sip.RequestMethod, body string) *sip.ClientTx {
	d.p.t.Helper()
	d.seq++
	return d.p.start(d.request(method, d.seq, body))
}

// do sends an in-dialog request and returns its final response.
func (d *tdlg) do(method sip.RequestMethod, body string) *sip.Response {
	d.p.t.Helper()
	return finalOf(d.p.t, d.send(method, body))
}

// ack sends the ACK of a 2xx to the INVITE number seq.
func (d *tdlg) ack(seq uint32, body string) {
	d.p.t.Helper()
	if err := d.p.tp.WriteMsg(d.request(sip.ACK, seq, body)); err != nil {
		d.p.t.Fatal(err)
	}
}

func (p *peer) start(req *sip.Request) *sip.ClientTx {
	p.t.Helper()
	tx, err := p.txl.Request(context.Background(), req)
	if err != nil {
		p.t.Fatalf("%s: send %s: %v", p.name, req.Method, err)
	}
	p.t.Cleanup(tx.Terminate)
	return tx
}

// nextRes returns the next response of a client transaction.
func nextRes(t testing.TB, tx *sip.ClientTx) *sip.Response {
	t.Helper()
	select {
	case r := <-tx.Responses():
		return r
	case <-tx.Done():
		t.Fatalf("transaction ended: %v", tx.Err())
	case <-time.After(waitFor):
		t.Fatal("no response")
	}
	return nil
}

// waitStatus reads responses until one with status code; a final response
// with another code fails the test. sipgo hands each received message to
// its own goroutine, so a 100 and a 180 sent back to back may arrive in
// either order: tests wait for what they need, not for an order.
func waitStatus(t testing.TB, tx *sip.ClientTx, code int) *sip.Response {
	t.Helper()
	for {
		r := nextRes(t, tx)
		if r.StatusCode == code {
			return r
		}
		if r.StatusCode >= 200 {
			t.Fatalf("got %d, want %d", r.StatusCode, code)
		}
	}
}

// finalOf skips provisionals and returns the final response.
func finalOf(t testing.TB, tx *sip.ClientTx) *sip.Response {
	t.Helper()
	for {
		if r := nextRes(t, tx); r.StatusCode >= 200 {
			return r
		}
	}
}

// inviteOpt shapes A's INVITE.
type inviteOpt struct {
	user    string // Request-URI user (the dialled number)
	from    string // From user
	display string // From display name
	pai     string // P-Asserted-Identity value, "" for none
	sdp     string // "" for a late offer
	maxFwd  int    // 0 means 70; -1 means 0
	extra   []sip.Header
	tel     bool // Request-URI tel:user instead of sip:user@xnum
}

// tcall is A's call: the INVITE, its transaction and A's dialog.
type tcall struct {
	*tdlg
	inv *sip.Request
	tx  *sip.ClientTx
}

// invite sends an initial INVITE to xnum.
func (e *tenv) invite(p *peer, o inviteOpt) *tcall {
	e.t.Helper()
	ruri := sip.Uri{Scheme: "sip", User: o.user, Host: xHost, Port: e.srv.advPort}
	d := &tdlg{p: p, callID: "a-callid-" + sip.GenerateTagN(12) + "@" + p.host,
		localURI:  sip.Uri{Scheme: "sip", User: o.from, Host: "a-from.example"},
		remoteURI: sip.Uri{Scheme: "sip", User: o.user, Host: "xnum.example"},
		localTag:  "atag" + sip.GenerateTagN(10), target: ruri, seq: 100}
	if o.tel {
		ruri = sip.Uri{}
		if err := sip.ParseUri("tel:"+o.user, &ruri); err != nil {
			e.t.Fatal(err)
		}
	}
	req := sip.NewRequest(sip.INVITE, ruri)
	req.AppendHeader(p.via())
	mf := sip.MaxForwardsHeader(70)
	switch {
	case o.maxFwd > 0:
		mf = sip.MaxForwardsHeader(o.maxFwd)
	case o.maxFwd < 0:
		mf = 0
	}
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{DisplayName: o.display, Address: d.localURI, Params: sip.HeaderParams{{K: "tag", V: d.localTag}}})
	req.AppendHeader(&sip.ToHeader{Address: d.remoteURI})
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.seq, MethodName: sip.INVITE})
	req.AppendHeader(p.contact())
	if o.pai != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", o.pai))
	}
	for _, h := range o.extra {
		req.AppendHeader(h)
	}
	if o.sdp != "" {
		ct := sip.ContentTypeHeader("application/sdp")
		req.AppendHeader(&ct)
		req.SetBody([]byte(o.sdp))
	} else {
		req.SetBody(nil)
	}
	p.prepare(req)
	if o.tel {
		req.SetDestination(e.srv.Addr())
	}
	return &tcall{tdlg: d, inv: req, tx: p.start(req)}
}

// answered records xnum's 2xx into A's dialog and ACKs it.
func (c *tcall) answered(res *sip.Response, ackBody string) {
	c.p.t.Helper()
	c.remoteTag = toTag(res)
	if ct := res.Contact(); ct != nil {
		c.target = ct.Address
	}
	c.ack(c.inv.CSeq().SeqNo, ackBody)
}

// cancel sends A's CANCEL and returns its response.
func (c *tcall) cancel() *sip.Response {
	c.p.t.Helper()
	req := sip.NewRequest(sip.CANCEL, c.inv.Recipient)
	req.AppendHeader(c.inv.Via().Clone())
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(c.inv.From()))
	req.AppendHeader(sip.HeaderClone(c.inv.To()))
	req.AppendHeader(sip.HeaderClone(c.inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	req.SetBody(nil)
	c.p.prepare(req)
	return finalOf(c.p.t, c.p.start(req))
}

// bDialog is B's side of the dialog xnum opened with INVITE r.
func (p *peer) dialogOf(r srvReq, tag string) *tdlg {
	d := &tdlg{p: p, callID: r.req.CallID().Value(), localURI: r.req.To().Address,
		remoteURI: r.req.From().Address, localTag: tag, remoteTag: fromTag(r.req),
		target: r.req.Contact().Address, seq: 500}
	return d
}

// goroutines is the current goroutine count after letting finished ones go.
func goroutines() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

// rawPeer is a bare UDP socket speaking SIP by hand, for what a sipgo UA
// does on its own (a 100 Trying after 200 ms, answering CANCEL) and a test
// must control.
type rawPeer struct {
	t    testing.TB
	conn *net.UDPConn
	msgs chan sip.Message
}

func newRawPeer(t testing.TB, host string) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		t.Fatal(err)
	}
	r := &rawPeer{t: t, conn: c, msgs: make(chan sip.Message, 256)}
	go func() {
		parser := sip.NewParser()
		buf := make([]byte, 65535)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			m, err := parser.ParseSIP(append([]byte(nil), buf[:n]...))
			if err != nil {
				continue
			}
			m.SetSource(from.String())
			r.msgs <- m
		}
	}()
	t.Cleanup(func() { c.Close() })
	return r
}

func (r *rawPeer) addr() string { return r.conn.LocalAddr().String() }

// next returns the next request of method, skipping others (retransmissions).
func (r *rawPeer) next(method sip.RequestMethod) *sip.Request {
	r.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case m := <-r.msgs:
			if req, ok := m.(*sip.Request); ok && req.Method == method {
				return req
			}
		case <-deadline:
			r.t.Fatalf("raw peer: no %s", method)
			return nil
		}
	}
}

// respond answers req straight to where it came from.
func (r *rawPeer) respond(req *sip.Request, status int, tag string) {
	r.t.Helper()
	res := sip.NewResponseFromRequest(req, status, "Raw "+strconv.Itoa(status), nil)
	if tag != "" {
		res.To().Params.Add("tag", tag)
	}
	if status > 100 && status < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "raw", Host: r.conn.LocalAddr().(*net.UDPAddr).IP.String(), Port: r.conn.LocalAddr().(*net.UDPAddr).Port}})
	}
	to, err := net.ResolveUDPAddr("udp", req.Source())
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.conn.WriteTo([]byte(res.String()), to); err != nil {
		r.t.Fatal(err)
	}
}
