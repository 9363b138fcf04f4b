package sip

import (
	"math/rand/v2"

	"github.com/emiago/sipgo/sip"
)

// legID names a call's dialogs: A (the caller's, xnum is UAS) and B (towards
// the callee trunk, xnum is UAC).
type legID uint8

const (
	legA legID = iota
	legB
)

func (l legID) String() string {
	if l == legA {
		return "A"
	}
	return "B"
}

// legRef is what the dialog registry holds: the call and which of its legs.
type legRef struct {
	c   *call
	leg legID
}

// leg is one dialog as xnum sees it (RFC 3261 §12): the state needed to
// match the other party's requests and to send our own. Only the call's loop
// touches it.
type leg struct {
	callID    string
	localTag  string
	remoteTag string
	localURI  sip.Uri // xnum's identity on this leg (From of our requests)
	remoteURI sip.Uri // the party's identity (To of our requests)
	localSeq  uint32
	remoteSeq uint32
	target    sip.Uri   // remote target: the party's Contact
	routes    []sip.Uri // route set, in the order requests carry it
	transport string    // "UDP" or "TCP"
	dest      string    // forced destination (an inbound TCP connection)
	sdp       sdpIdentity
	byeSent   bool   // the dialog is over (our BYE sent or theirs received)
	key       string // registry key, "" when not registered
	ref       legRef
}

// initialSeq is a fresh CSeq start: below 2**31 (RFC 3261 §8.1.1.5).
func initialSeq() uint32 { return rand.Uint32N(1<<30) + 1 }

// dialogKey identifies a dialog by what an incoming in-dialog request
// carries: its Call-ID and, as To tag, the tag xnum chose. xnum's tags are
// random, so the pair is unique without the remote tag.
func dialogKey(callID, localTag string) string {
	return callID + "\x00" + localTag
}

func (s *Server) register(l *leg) {
	l.key = dialogKey(l.callID, l.localTag)
	s.dialogs.Store(l.key, &l.ref)
}

func (s *Server) unregister(l *leg) {
	if l.key != "" {
		s.dialogs.CompareAndDelete(l.key, &l.ref)
		l.key = ""
	}
}

// lookupDialog finds the call leg an in-dialog request belongs to.
func (s *Server) lookupDialog(req *sip.Request) *legRef {
	cid := req.CallID()
	tag := toTag(req)
	if cid == nil || tag == "" {
		return nil
	}
	v, ok := s.dialogs.Load(dialogKey(string(*cid), tag))
	if !ok {
		return nil
	}
	return v.(*legRef)
}

// request builds a request inside the dialog l (RFC 3261 §12.2.1.1): remote
// target as Request-URI, the route set as Route (loose routing), xnum's Via
// and Contact, the dialog's Call-ID and tags. Nothing is copied from the
// other leg. seq is the CSeq number; ACK and CANCEL reuse their INVITE's.
func (s *Server) request(l *leg, method sip.RequestMethod, seq uint32) *sip.Request {
	req := sip.NewRequest(method, l.target)
	req.AppendHeader(s.via(l.transport))
	for i := range l.routes {
		req.AppendHeader(&sip.RouteHeader{Address: l.routes[i]})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	from := &sip.FromHeader{Address: l.localURI, Params: sip.HeaderParams{{K: "tag", V: l.localTag}}}
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: l.remoteURI}
	if l.remoteTag != "" {
		to.Params = sip.HeaderParams{{K: "tag", V: l.remoteTag}}
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(l.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(s.contact(l.transport))
	}
	s.route(req, l.transport, l.dest, len(l.routes) == 0)
	return req
}

// via is a fresh top Via with xnum's advertised address (SPEC §4.1).
func (s *Server) via(transport string) *sip.ViaHeader {
	return &sip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: transport,
		Host: s.advHost, Port: s.advPort,
		Params: sip.HeaderParams{{K: "branch", V: s.ids.branch()}},
	}
}

// contact is xnum's Contact for a transport. The header is shared by every
// message and never modified.
func (s *Server) contact(transport string) *sip.ContactHeader {
	if transport == "TCP" {
		return s.contactTCP
	}
	return s.contactUDP
}

// route sets how a request leaves: over UDP from the listening socket (so
// the peer sees xnum's one signalling address), over TCP by the existing
// connection of that party when there is one and no route set overrides it.
func (s *Server) route(req *sip.Request, transport, dest string, direct bool) {
	req.SetTransport(transport)
	if transport == "UDP" {
		req.Laddr = s.udpLaddr
	}
	if dest != "" && direct {
		// Only while that connection lives; else the Contact, as RFC 3261
		// §12.2.1.1 says.
		if c, err := s.tp.GetConnection("tcp", dest); err == nil {
			c.TryClose() // GetConnection took a reference
			req.SetDestination(dest)
		}
	}
}
