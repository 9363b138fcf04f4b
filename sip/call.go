package sip

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// A call is owned by one goroutine, its loop (run): A-leg requests, B-leg
// responses, the responses of relayed requests and every timer reach it as
// events, so its state needs no lock (STYLE.md "one owner per call"). The
// loop runs on the goroutine sipgo gave the initial INVITE.
type call struct {
	s     *Server
	inbox inbox

	a, b leg

	// A leg: xnum is UAS of the initial INVITE.
	aReq      *sip.Request
	aTx       *sip.ServerTx
	aFinal    int    // final status sent to A, 0 while none (the loop's view)
	aOffer    []byte // A's SDP offer as received, nil for a late offer
	maxFwd    uint32 // A's Max-Forwards
	cancelKey string // key of A's INVITE in Server.cancels (UDP), "" when none
	// self is what sipgo's transactions hold of the call (the callbacks of
	// A's INVITE and of xnum's INVITEs), cleared when the call finishes:
	// those transactions outlive the call by 64×T1 (Timers L and M, RFC
	// 6026), and callbacks holding c kept every finished call, with all it
	// refers to, for 32 s (docs/EVENTS.md "Speed").
	self *atomic.Pointer[call]
	// aMu orders the one final response to A's INVITE between the loop and
	// the UDP read loop answering a CANCEL (cancel.go): whoever sends first
	// wins, and the other learns that it did not.
	aMu   sync.Mutex
	aSent int

	// B leg: xnum is UAC of the B INVITE.
	bReq       *sip.Request
	bTx        *sip.ClientTx
	bRes       <-chan *sip.Response
	bDone      <-chan struct{}
	bState     bState
	bFinal     int      // B's final status, 0 while none
	cancelB    bool     // CANCEL owed to B once it sends a provisional (RFC 3261 §9.1)
	early      earlyLog // B's 18x as the read loop saw them (early.go)
	cancelSent bool
	bAckSent   bool
	bQ850      int // Q.850 cause of B's Reason on its final failure
	unasw      int // CDR fwdUnaswRsn when B's failure ended the attempt

	// Mid-call.
	mod     *modification   // relayed re-INVITE/UPDATE in progress
	pend    [2]pending2xx   // per leg: our 2xx waiting for its ACK
	lastAck [2]*sip.Request // per leg: the ACK we sent, re-sent on a 2xx retransmission
	acks    [2]<-chan *sip.Request

	// Media (relay mode, or a call that plays something).
	m    callMedia
	coll *collection // DTMF collection on A's leg in progress (collect.go)
	mode modeState   // the mode steps: X-mode callin, AXE (mode_step.go)

	// Routing and outcome.
	sessionID string
	cdrID     string // the CDR's icid once fixed (events.go)
	rc        routing.Call
	dec       routing.Decision
	decided   bool
	out       outcome
	times     times

	// Timers: one time.Timer armed for the earliest deadline.
	timer                   *time.Timer
	ringAt, cancelAt, maxAt time.Time
	lastMinAt               time.Time // lastMinVoice (SPEC §3 item 4)
	prompt                  *promptPlay
	ended                   bool // released: only cleanup left
	byeAOnAck               bool // BYE owed to A once it ACKs (RFC 3261 §15)
	byeRel                  routing.Release
	exitNow                 bool // leave without waiting for B to settle
}

// bState is how far the B leg got.
type bState uint8

const (
	bNone       bState = iota // no B INVITE sent
	bTrying                   // sent, no provisional yet
	bProceeding               // 100 Trying seen
	bEarly                    // 18x seen
	bAnswered                 // 2xx seen
	bFailed                   // final ≥ 300, timeout or transport error
)

// times are the CDR's moments (SPEC §6.2), from Deps.Now.
type times struct {
	in, fwdStart, fwdAlert, fwdAnswer, end time.Time
}

// pending2xx is a 2xx xnum sent as UAS of an INVITE on one leg and the ACK
// it waits for (RFC 3261 §13.3.1.4, RFC 6026): retransmitted over UDP every
// T1…T2, and after 64·T1 without ACK the call is released.
type pending2xx struct {
	tx       *sip.ServerTx
	res      *sip.Response
	seq      uint32
	next     time.Time // next retransmission; zero over TCP
	interval time.Duration
	deadline time.Time
	initial  bool   // the 200 to A's initial INVITE
	relayAck bool   // the ACK carries the answer to a late offer: relay it
	mediaAck bool   // the ACK carries the answer to xnum's own offer (relayed call)
	ackSeq   uint32 // CSeq of our INVITE on the other leg that the relayed ACK answers
}

// modification is a re-INVITE or UPDATE relayed from one leg to the other.
type modification struct {
	from    legID
	req     *sip.Request
	tx      *sip.ServerTx
	out     *sip.Request
	ctx     *sip.ClientTx
	res     <-chan *sip.Response
	done    <-chan struct{}
	hadBody bool
	media   *modMedia // relayed call: the legs' state before the offer
}

func (c *call) leg(id legID) *leg {
	if id == legA {
		return &c.a
	}
	return &c.b
}

func other(id legID) legID { return 1 - id }

// newCall admits an initial INVITE and runs its call on this goroutine.
func (s *Server) newCall(req *sip.Request, tx *sip.ServerTx) {
	if s.draining.Load() {
		s.reject(tx, req, ErrDraining)
		return
	}
	maxFwd := uint32(70)
	if mf := req.MaxForwards(); mf != nil {
		maxFwd = mf.Val()
	}
	if maxFwd == 0 {
		s.reject(tx, req, ErrTooManyHops) // RFC 3261 §16.3 item 3, before routing
		return
	}
	c := &call{s: s, aReq: req, aTx: tx, maxFwd: maxFwd}
	c.inbox.wake = make(chan struct{}, 1)
	c.a.ref = legRef{c: c, leg: legA}
	c.b.ref = legRef{c: c, leg: legB}
	// A's tag is chosen before anything can look at the call.
	c.a.localTag = s.ids.tag()
	s.active.Add(1)
	s.calls.Store(c, struct{}{})
	if s.ending.Load() {
		c.inbox.push(event{kind: evShutdown, force: true})
	}
	// Over TCP (and for any CANCEL the UDP filter did not recognise) sipgo
	// answers a CANCEL of this INVITE with 200 and 487 itself; the loop
	// learns of it here. Over UDP cancel.go answers it (see there).
	c.self = new(atomic.Pointer[call])
	c.self.Store(c)
	ref := c.self
	if !tx.OnCancel(func(*sip.Request) {
		if c := ref.Load(); c != nil {
			c.inbox.push(event{kind: evCancel, sent487: true})
		}
	}) {
		c.inbox.push(event{kind: evCancel, sent487: true})
	}
	if !sip.IsReliable(req.Transport()) {
		if key, ok := cancelKey(req); ok {
			c.cancelKey = key
			s.cancels.Store(key, c)
		}
	}
	c.run()
}

// run is the call's event loop.
func (c *call) run() {
	defer c.finish()
	defer c.recoverLoop()
	c.start()
	for !c.over() {
		var timerC <-chan time.Time
		if c.arm() {
			timerC = c.timer.C
		}
		var promptDone <-chan struct{}
		if c.prompt != nil {
			promptDone = c.prompt.done
		}
		digitC, collPromptDone := c.collectChans()
		var modRes <-chan *sip.Response
		var modDone <-chan struct{}
		if c.mod != nil {
			modRes, modDone = c.mod.res, c.mod.done
		}
		select {
		case <-c.inbox.wake:
			c.drainInbox()
		case r := <-c.bRes:
			c.onBResponse(r)
		case <-c.bDone:
			c.onBDone()
		case r := <-c.acks[legA]:
			c.onAck(legA, r)
		case r := <-c.acks[legB]:
			c.onAck(legB, r)
		case r := <-modRes:
			c.onModResponse(r)
		case <-modDone:
			c.onModDone()
		case <-timerC:
			c.onTimer()
		case <-promptDone:
			c.onPromptDone()
		case d := <-digitC:
			c.onCollectDigit(d)
		case <-collPromptDone:
			c.onCollectPromptDone()
		case <-c.m.recHint:
			c.startRecording()
		case <-c.m.timeoutA:
			c.onRTPTimeout(legA)
		case <-c.m.timeoutB:
			c.onRTPTimeout(legB)
		}
	}
}

func (c *call) drainInbox() {
	evs := c.inbox.take()
	for _, ev := range evs {
		c.handle(ev)
	}
	clear(evs) // the array is reused: drop its references
}

func (c *call) handle(ev event) {
	switch ev.kind {
	case evRequest:
		c.onRequest(ev.leg, ev.req, ev.tx)
	case evCancel:
		c.onCancel(ev.sent487)
	case ev2xx:
		c.on2xxAgain(ev.leg, ev.res)
	case evShutdown:
		c.onShutdown(ev.force)
	case evRun:
		ev.run()
	}
}

// over: the call is released and nothing is owed any more — B has a final
// answer (or was given up), and a BYE owed to A has gone.
func (c *call) over() bool {
	if c.exitNow {
		return true
	}
	if !c.ended || c.byeAOnAck || c.prompt != nil {
		return false
	}
	return c.bState != bTrying && c.bState != bProceeding && c.bState != bEarly
}

// arm sets the timer to the earliest deadline; false when there is none.
func (c *call) arm() bool {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(c.ringAt)
	consider(c.cancelAt)
	consider(c.maxAt)
	consider(c.lastMinAt)
	if c.coll != nil {
		consider(c.coll.col.Deadline())
	}
	for i := range c.pend {
		if c.pend[i].tx != nil {
			consider(c.pend[i].next)
			consider(c.pend[i].deadline)
		}
	}
	if next.IsZero() {
		return false
	}
	d := time.Until(next)
	if c.timer == nil {
		c.timer = time.NewTimer(d)
		return true
	}
	c.timer.Reset(d) // Go ≥ 1.23: Reset drops a stale expiry
	return true
}

func (c *call) onTimer() {
	now := time.Now()
	due := func(t time.Time) bool { return !t.IsZero() && !now.Before(t) }
	for i := range c.pend {
		p := &c.pend[i]
		if p.tx == nil {
			continue
		}
		if due(p.deadline) {
			c.ackTimeout(legID(i))
			continue
		}
		if due(p.next) {
			c.s.respond(p.tx, p.res)
			p.interval = min(2*p.interval, c.s.t2)
			p.next = now.Add(p.interval)
		}
	}
	if due(c.ringAt) {
		c.ringAt = time.Time{}
		c.onRingTimeout()
	}
	if due(c.cancelAt) {
		c.cancelAt = time.Time{}
		c.giveUpB()
	}
	c.onCollectTimer(now)
	if due(c.lastMinAt) {
		c.lastMinAt = time.Time{}
		c.playLastMinute()
	}
	if due(c.maxAt) {
		c.maxAt = time.Time{}
		c.hangup(c.s.d.Table.For(routing.CauseMaxDuration), relPlatform, legNone)
	}
}

// recoverLoop: a panic inside the call is counted, A gets 500 when it has no
// final answer yet, and both legs are released (SPEC §4.1).
func (c *call) recoverLoop() {
	r := recover()
	if r == nil {
		return
	}
	c.s.m.panics.Inc()
	c.s.log.Error("sip call panic", "panic", maskDigits(fmt.Sprint(r)), "stack", string(debug.Stack()))
	defer func() {
		if r := recover(); r != nil {
			c.s.log.Error("sip call panic during release", "panic", maskDigits(fmt.Sprint(r)))
		}
		c.exitNow = true
	}()
	_, cause := Classify(ErrPanic)
	rel := c.s.d.Table.For(cause)
	if c.aFinal == 0 {
		c.finalToA(rel, relPlatform, resultFailed)
		c.abandonB()
	} else if !c.ended {
		c.hangup(rel, relPlatform, legNone)
	}
}

// Events of the loop.
type evKind uint8

const (
	evRequest  evKind = iota // a request of one of the call's dialogs (tx nil for ACK)
	evCancel                 // A cancelled its INVITE
	ev2xx                    // a further 2xx to one of our INVITEs
	evShutdown               // drain or close: release now
	evRun                    // run a function on the loop (mode_step.go)
)

type event struct {
	kind    evKind
	leg     legID
	req     *sip.Request
	tx      *sip.ServerTx
	res     *sip.Response
	force   bool // evShutdown: leave without waiting for B
	sent487 bool // evCancel: sipgo has answered the INVITE 487 already
	run     func()
}

// inbox is the call's unbounded queue: pushing never blocks the sender
// (sipgo's transaction goroutines), and once closed a push fails so the
// sender can answer for the call (481).
type inbox struct {
	mu     sync.Mutex
	q      []event
	spare  []event
	closed bool
	wake   chan struct{}
}

func (b *inbox) push(ev event) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.q = append(b.q, ev)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return true
}

// take returns the queued events; the slice is valid until the next take.
func (b *inbox) take() []event {
	b.mu.Lock()
	q := b.q
	b.q = b.spare[:0]
	b.spare = q
	b.mu.Unlock()
	return q
}

// close refuses further pushes and returns what was still queued.
func (b *inbox) close() []event {
	b.mu.Lock()
	b.closed = true
	q := b.q
	b.q = nil
	b.mu.Unlock()
	return q
}
