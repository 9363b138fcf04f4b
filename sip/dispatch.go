package sip

import (
	"fmt"
	"runtime/debug"

	"github.com/emiago/sipgo/sip"
)

// allowed is what xnum answers to (RFC 3261 §20.5). REFER is deliberately
// absent: a party must never steer the other leg (SPEC §4.1).
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"

// onRequest is the transaction layer's entry for every request that opened
// a server transaction. The INVITE of a new call becomes that call's event
// loop on this goroutine; everything else is answered here or handed to the
// loop of the call it belongs to.
func (s *Server) onRequest(req *sip.Request, tx *sip.ServerTx) {
	defer s.recoverRequest(req, tx)
	// Malformed requests get their stateless verdict before anything else
	// (SPEC §4.1, RFC 4475) and never reach routing.
	if status, reason, extra, ok := CheckRequest(req); !ok {
		if req.IsAck() || !SafeToAnswer(req) {
			// An ACK is never answered; a request whose dialog headers are
			// what failed is dropped rather than echoed back.
			tx.Terminate()
			return
		}
		res := s.response(req, status, "")
		if reason != "" {
			res.Reason = reason
		}
		for _, h := range extra {
			res.AppendHeader(h)
		}
		s.respond(tx, res)
		return
	}
	switch req.Method {
	case sip.INVITE:
		if toTag(req) != "" {
			s.toDialog(req, tx)
			return
		}
		s.newCall(req, tx)
	case sip.ACK:
		// An ACK opens no transaction worth keeping: sipgo made one for it,
		// which would otherwise live on.
		defer tx.Terminate()
		if ref := s.lookupDialog(req); ref != nil {
			ref.c.inbox.push(event{kind: evRequest, leg: ref.leg, req: req})
		}
	case sip.BYE, sip.UPDATE:
		s.toDialog(req, tx)
	case sip.INFO:
		// INFO (DTMF relay, RFC 6086) is answered locally in a dialog and
		// never crosses to the other leg [DESIGN; the media issue owns DTMF].
		if s.lookupDialog(req) == nil {
			s.reject(tx, req, ErrNoDialog)
			return
		}
		s.respond(tx, s.response(req, 200, ""))
	case sip.CANCEL:
		// sipgo hands a CANCEL that matches a pending INVITE to that INVITE's
		// transaction; one that reaches us matched nothing (RFC 3261 §9.2).
		s.reject(tx, req, ErrNoDialog)
	case sip.OPTIONS:
		// Answered locally, in or out of a dialog (SPEC §4.1).
		res := s.response(req, 200, "")
		res.AppendHeader(sip.NewHeader("Allow", allowed))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		s.respond(tx, res)
	case sip.REFER:
		s.reject(tx, req, ErrMethodRefused)
	case sip.PRACK:
		// xnum never sends reliable provisionals, so no PRACK can match one
		// (RFC 3262 §3).
		s.reject(tx, req, ErrNoDialog)
	default:
		// SUBSCRIBE/NOTIFY (REFER's machinery), MESSAGE, REGISTER, PUBLISH
		// and anything unknown: not implemented, never executed.
		s.reject(tx, req, ErrNotImplemented)
	}
}

// toDialog hands an in-dialog request to the loop of the call it belongs to,
// or answers 481.
func (s *Server) toDialog(req *sip.Request, tx *sip.ServerTx) {
	ref := s.lookupDialog(req)
	if ref == nil || !ref.c.inbox.push(event{kind: evRequest, leg: ref.leg, req: req, tx: tx}) {
		s.reject(tx, req, ErrNoDialog)
	}
}

// reject answers req with the status of a classified error.
func (s *Server) reject(tx *sip.ServerTx, req *sip.Request, err error) {
	status, _ := Classify(err)
	res := s.response(req, status, "")
	if status == 405 {
		res.AppendHeader(sip.NewHeader("Allow", allowed))
	}
	s.respond(tx, res)
}

func (s *Server) respond(tx *sip.ServerTx, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip respond failed", "status", res.StatusCode, "err", err)
	}
}

// recoverRequest turns a panic in a handler into a counted 500 (SPEC §4.1).
func (s *Server) recoverRequest(req *sip.Request, tx *sip.ServerTx) {
	r := recover()
	if r == nil {
		return
	}
	s.m.panics.Inc()
	s.log.Error("sip handler panic", "method", string(req.Method),
		"panic", maskDigits(fmt.Sprint(r)), "stack", string(debug.Stack()))
	if req.IsAck() {
		tx.Terminate()
		return
	}
	status, _ := Classify(ErrPanic)
	_ = tx.Respond(s.response(req, status, ""))
}

// toTag is the To tag of a message, "" outside a dialog.
func toTag(m sip.Message) string {
	if to := m.To(); to != nil {
		t, _ := to.Params.Get("tag")
		return t
	}
	return ""
}

func fromTag(m sip.Message) string {
	if f := m.From(); f != nil {
		t, _ := f.Params.Get("tag")
		return t
	}
	return ""
}
