package sip

import (
	"sync"

	"github.com/emiago/sipgo/sip"
)

// B's 18x in the order the socket delivered them.
//
// sipgo hands every response to its transaction on a goroutine of its own
// (TransactionLayer.handleMessage), so a 180 and a 200 that B sends back to
// back can reach the INVITE client transaction in either order. When the
// 200 wins, the transaction is Accepted before the 180 gets its turn and
// sipgo drops the 180: the call never sees it, so no alerting event, no
// fwdAlertingTime and no 180 to A, although B did ring. The same happens
// with a 4xx-6xx overtaking an 18x.
//
// Transport handlers run in the read loop, one message after the other, so
// noteProvisional sees B's messages in the order they were read. It keeps
// each 18x on its call; when the call loop gets B's final answer and has not
// seen any 18x of that INVITE, it plays the ones it missed first.

// earlyLog holds the 18x the read loop saw for a call's B INVITE.
type earlyLog struct {
	mu   sync.Mutex
	list []*sip.Response
}

func (l *earlyLog) add(r *sip.Response) {
	l.mu.Lock()
	l.list = append(l.list, r)
	l.mu.Unlock()
}

// take empties the log and returns what it held.
func (l *earlyLog) take() []*sip.Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := l.list
	l.list = nil
	return list
}

// noteProvisional is a transport-layer message handler: it runs in the read
// loop for every message, so it only records.
func (s *Server) noteProvisional(m sip.Message) {
	r, ok := m.(*sip.Response)
	if !ok || r.StatusCode <= 100 || r.StatusCode >= 199 {
		return
	}
	cs, cid := r.CSeq(), r.CallID()
	if cs == nil || cid == nil || cs.MethodName != sip.INVITE {
		return
	}
	v, ok := s.dialogs.Load(dialogKey(string(*cid), fromTag(r)))
	if !ok {
		return
	}
	if ref := v.(*legRef); ref.leg == legB {
		ref.c.early.add(r)
	}
}

// missedProvisionals runs when B's final answer reaches the loop: the 18x
// of the current B INVITE that sipgo dropped are handled first, in the
// order B sent them. A final answer makes a CANCEL owed to B moot.
func (c *call) missedProvisionals() {
	early := c.early.take()
	if c.bState >= bEarly || c.bReq == nil {
		return // an 18x came through: alerting is done
	}
	branch := viaBranch(c.bReq)
	for _, p := range early {
		if viaBranch(p) == branch {
			c.cancelB = false
			c.onBProvisional(p)
		}
	}
}

func viaBranch(m sip.Message) string {
	if v := m.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}
