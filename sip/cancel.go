package sip

import (
	"bytes"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// CANCEL of an initial INVITE (RFC 3261 §9.2).
//
// sipgo answers a CANCEL that matches a pending INVITE by itself: 200 to the
// CANCEL, then a 487 built from the INVITE, without the Reason header SPEC
// §4.2 asks for (Q.850 16) and with a To tag of its own. Over UDP — every
// datagram passes readFilter before sipgo parses it — xnum therefore takes
// CANCELs out of the stream: it answers the CANCEL statelessly and the INVITE
// 487 with the Reason and the dialog's tag through the INVITE transaction,
// at once even while the call's loop is busy routing, then tells the loop.
// If the loop's own final answer got there first, the transaction drops the
// 487 and the loop ignores the CANCEL (RFC 3261 §9.2). Over TCP, where the
// filter sees a byte stream and not messages, sipgo's answer stands and the
// loop hears of it through OnCancel.

// cancelKey is what matches a CANCEL to its INVITE: the top Via's branch and
// sent-by (RFC 3261 §9.2, §17.2.3).
func cancelKey(req *sip.Request) (string, bool) {
	v := req.Via()
	if v == nil {
		return "", false
	}
	branch, ok := v.Params.Get("branch")
	if !ok || branch == "" {
		return "", false
	}
	return branch + "\x00" + v.Host + ":" + strconv.Itoa(v.Port), true
}

// interceptCancel handles a UDP CANCEL taken out of sipgo's stream. It runs
// on the UDP read loop, so it only answers and hands over: no waiting.
func (s *Server) interceptCancel(from net.Addr, data []byte) {
	defer func() {
		if r := recover(); r != nil {
			s.m.panics.Inc()
			s.log.Error("sip cancel panic", "panic", maskDigits(fmt.Sprint(r)), "stack", string(debug.Stack()))
		}
	}()
	msg, err := s.parser.ParseSIP(bytes.Clone(data)) // the read buffer is reused
	if err != nil {
		return
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return
	}
	req.SetSource(from.String())
	req.SetTransport("UDP")
	if status, reason, extra, ok := CheckRequest(req); !ok {
		if SafeToAnswer(req) {
			res := s.response(req, status, "")
			if reason != "" {
				res.Reason = reason
			}
			for _, h := range extra {
				res.AppendHeader(h)
			}
			s.writeUDP(res, from)
		}
		return
	}
	key, ok := cancelKey(req)
	var c *call
	if ok {
		if v, found := s.cancels.Load(key); found {
			c = v.(*call)
		}
	}
	if c == nil {
		s.writeUDP(s.response(req, 481, ""), from)
		return
	}
	// Same To tag as the INVITE's responses (RFC 3261 §9.2). The tag, the
	// INVITE and its transaction were set before the call was registered,
	// so reading them here is safe; the transaction serialises responses.
	s.writeUDP(s.response(req, 200, c.a.localTag), from)
	rel := s.d.Table.For(routing.CauseCancelBefore18x) // every cancel row carries Q.850 16
	res := s.response(c.aReq, 487, c.a.localTag)
	res.AppendHeader(reasonHeader(rel))
	c.aMu.Lock()
	sent := c.aSent == 0
	if sent {
		c.aSent = 487
		s.respond(c.aTx, res)
	}
	c.aMu.Unlock()
	if sent {
		c.inbox.push(event{kind: evCancel, sent487: true})
	}
}

// writeUDP sends a stateless response from the listening socket back to
// where the request came from.
func (s *Server) writeUDP(res *sip.Response, to net.Addr) {
	var buf bytes.Buffer
	res.StringWrite(&buf)
	if _, err := s.udpConn.WriteTo(buf.Bytes(), to); err != nil {
		s.log.Debug("sip stateless response not sent", "status", res.StatusCode, "err", err)
	}
}
