package sip

// Test UAs: a sipgo-based peer (A or B) with its dialogs, and a raw UDP
// socket for what a sipgo UA would do on its own.

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

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
