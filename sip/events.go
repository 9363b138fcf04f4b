package sip

// Call events and persisted call state (SPEC §6.1, §6.2, §7).
//
// Every attempt on a provisioned X reports callin, then callout, alerting
// and answer as its B leg gets that far, and ends with disconnect — all with
// the call's one sessionId, which its CDR carries too. Unprovisioned numbers
// (no app) report nothing. The call's loop never waits for the outbox's
// synced write while the call is going on: it hands each event to a
// per-server queue of eventShards writers, a session always to the same
// writer, so a session's events reach the outbox in the order the loop
// produced them, while the writers' synced writes share Pebble's group
// commits. At the end the loop waits until its disconnect is written, then
// emits the CDR: the CDR is always queued after the events of its call, and
// ActiveCalls()==0 still means every record and event is out.
//
// An answered call's CDR so far is written, synced, before A gets its 200 —
// B's, or xnum's own when it answers A to collect an AXE extension
// (Deps.Calls; SPEC §7 "a call's answered state is written with Sync before
// the answer"); the store deletes it with the call's CDR. A call still
// recorded at the next start was up when xnum died: AbandonedCall says what
// it reports then.

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// EventSink receives the call events of SPEC §6.1. cdr.Dispatcher
// implements it: EmitEvents returns once the events are in the durable
// outbox, synced, in the order given (their order within each session).
type EventSink interface {
	EmitEvents(evs []cdr.AppEvent) error
}

// CallStore persists the CDR so far of an answered call (SPEC §6.2).
// store.Store implements it: PutCall returns once the record is synced, and
// the store deletes it in the batch that keeps the call's CDR.
type CallStore interface {
	PutCall(rec cdr.Record) error
	// ForgetCall deletes a record whose call turned out not to be
	// answered after all (A's CANCEL won the race with xnum's own 200):
	// its CDR, with A's 487, would not take the record away.
	ForgetCall(sessionID string) error
}

const (
	// eventShards is how many goroutines write events at once. Each writes
	// whatever its queue holds (up to eventBatch events) in one synced
	// write, so a busier server makes bigger batches, not more fsyncs;
	// few writers make the batches big (one app lookup, one commit each).
	eventShards = 4
	eventBatch  = 512
	// eventShardQueue bounds each writer's queue. A full queue makes the
	// call loop wait (the store is slower than the calls): nothing is
	// dropped.
	eventShardQueue = 4096
)

// serverEvents is the Server's part: the queue (nil without Deps.Events)
// and the count of answered calls that could not be persisted.
type serverEvents struct {
	q           *eventQueue
	stateErrors prometheus.Counter
}

// initEvents builds the Server's part from Deps.Events and its metrics.
func (s *Server) initEvents() error {
	s.ev.stateErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "xnum_sip_call_state_errors_total",
		Help: "Answered calls whose state could not be persisted (SPEC §6.2: no CDR after a crash).",
	})
	if reg := s.d.Registerer; reg != nil {
		if err := reg.Register(s.ev.stateErrors); err != nil {
			return fmt.Errorf("sip: call state metric: %w", err)
		}
	}
	if s.d.Events == nil {
		return nil
	}
	q, err := newEventQueue(s.d.Events, s.log, s.d.Registerer)
	s.ev.q = q
	return err
}

// closeEvents writes the queued events and stops the writers (Close).
func (s *Server) closeEvents() {
	if s.ev.q != nil {
		s.ev.q.close()
	}
}

// eventQueue writes events to the sink from eventShards goroutines.
type eventQueue struct {
	sink EventSink
	log  *slog.Logger
	m    eventMetrics

	startOnce sync.Once
	mu        sync.RWMutex // pushes hold it shared; close holds it alone
	closed    bool
	shards    [eventShards]chan queuedEvent
	wg        sync.WaitGroup
}

type queuedEvent struct {
	app  string
	ev   cdr.Event
	done chan struct{} // closed once written; nil when nobody waits
}

type eventMetrics struct {
	events  *prometheus.CounterVec // by eventType and result
	waiting prometheus.Gauge
}

func newEventQueue(sink EventSink, log *slog.Logger, reg prometheus.Registerer) (*eventQueue, error) {
	q := &eventQueue{sink: sink, log: log, m: eventMetrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xnum_sip_events_total",
			Help: "Call events (SPEC §6.1) handed to the outbox, by eventType and result (written, failed).",
		}, []string{"type", "result"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xnum_sip_event_queue",
			Help: "Call events queued in memory, not yet written to the outbox.",
		}),
	}}
	if reg != nil {
		for _, c := range []prometheus.Collector{q.m.events, q.m.waiting} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("sip: event metrics: %w", err)
			}
		}
	}
	return q, nil
}

func (q *eventQueue) start() {
	q.startOnce.Do(func() {
		for i := range q.shards {
			ch := make(chan queuedEvent, eventShardQueue)
			q.shards[i] = ch
			q.wg.Go(func() { q.writer(ch) })
		}
	})
}

// push queues an event; after close it is written at once by the caller.
func (q *eventQueue) push(e queuedEvent) {
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		q.write(e)
		return
	}
	q.start() // under the read lock: close waits until the writers exist
	q.m.waiting.Inc()
	q.shards[shardOf(e.ev.StatusInfo.SessionID)] <- e
	q.mu.RUnlock()
}

// writer drains one shard: it waits for an event, takes whatever else is
// queued behind it, and writes the lot at once, in queue order.
func (q *eventQueue) writer(ch chan queuedEvent) {
	batch := make([]queuedEvent, 0, eventBatch)
	for e := range ch {
		batch = append(batch[:0], e)
	more:
		for len(batch) < eventBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		q.m.waiting.Sub(float64(len(batch)))
		q.write(batch...)
		clear(batch) // drop the events' references
	}
}

func (q *eventQueue) write(batch ...queuedEvent) {
	evs := make([]cdr.AppEvent, len(batch))
	for i, e := range batch {
		evs[i] = cdr.AppEvent{AppKey: e.app, Event: e.ev}
	}
	result := "written"
	if err := q.sink.EmitEvents(evs); err != nil {
		result = "failed"
		q.log.Warn("sip events not emitted", "events", len(batch),
			"firstSession", batch[0].ev.StatusInfo.SessionID, "err", err)
	}
	for _, e := range batch {
		q.m.events.WithLabelValues(e.ev.EventType, result).Inc()
		if e.done != nil {
			close(e.done)
		}
	}
}

// close writes what is queued and stops the writers; pushes afterwards
// write synchronously. Idempotent.
func (q *eventQueue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	for _, ch := range q.shards {
		if ch != nil {
			close(ch)
		}
	}
	q.mu.Unlock()
	q.wg.Wait()
}

func shardOf(session string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(session))
	return int(h.Sum32() % eventShards)
}

// newEvent builds an event with the fields every eventType has.
func newEvent(typ string, at time.Time, session, caller, called, sub, userData string) cdr.Event {
	return cdr.Event{EventType: typ, StatusInfo: cdr.StatusInfo{
		Timestamp: cdr.FormatTime(at), SessionID: session, Caller: caller, Called: called,
		SubscriptionID: sub, UserData: userData,
	}}
}

// reports tells whether this call reports events: a sink is wired and the
// dialled number belongs to an app.
func (c *call) reports() bool {
	return c.s.ev.q != nil && c.dec.App.Key != ""
}

// event queues one event of the call. callin, alerting, answer and
// disconnect name the call as A made it (A's real number, the X dialled);
// callout names the B leg (the number shown to B, the real callee) [DESIGN,
// docs/EVENTS.md].
func (c *call) event(typ string, at time.Time, done chan struct{}) {
	caller, called := string(c.rc.Caller), string(c.rc.Dialled)
	if typ == cdr.EventCallOut {
		caller, called = string(c.dec.Display), string(c.dec.Callee)
	}
	ev := newEvent(typ, at, c.sessionID, caller, called, c.dec.SubscriptionID, c.dec.UserData)
	if typ == cdr.EventDisconnect {
		ev.StatusInfo.StateCode = c.out.rel.Code()
		ev.StatusInfo.StateDesc = c.out.rel.Desc
	}
	c.s.ev.q.push(queuedEvent{app: c.dec.App.Key, ev: ev, done: done})
}

// eventCallIn: routing has decided (every attempt on a provisioned X).
func (c *call) eventCallIn() {
	if c.reports() {
		c.event(cdr.EventCallIn, c.times.in, nil)
	}
}

// eventCallOut: the B INVITE is sent.
func (c *call) eventCallOut() {
	if c.reports() {
		c.event(cdr.EventCallOut, c.times.fwdStart, nil)
	}
}

// eventAlerting: B's first 18x, unless the call is already released (a
// CANCEL crossing B's 180).
func (c *call) eventAlerting() {
	if c.reports() && !c.out.set {
		c.event(cdr.EventAlerting, c.times.fwdAlert, nil)
	}
}

// eventAnswer: A has its 200.
func (c *call) eventAnswer() {
	if c.reports() {
		c.event(cdr.EventAnswer, c.times.fwdAnswer, nil)
	}
}

// eventDisconnect queues the call's last event and waits until it, and so
// every earlier event of the call, is written: the CDR goes after it.
func (c *call) eventDisconnect() {
	if !c.reports() {
		return
	}
	done := make(chan struct{})
	c.event(cdr.EventDisconnect, c.times.end, done)
	<-done
}

// icid is the call's CDR id, fixed the first time it is needed: at answer
// the persisted record already carries the id its CDR will have.
func (c *call) icid() string {
	if c.cdrID == "" {
		c.cdrID = c.s.ids.record()
	}
	return c.cdrID
}

// persistAnswered writes the answered call's CDR so far before A gets its
// 200. A failure is logged and the call goes on: refusing a call that B
// answered would be worse than losing its record in a crash.
func (c *call) persistAnswered() {
	if c.s.d.Calls == nil {
		return
	}
	if err := c.s.d.Calls.PutCall(c.record()); err != nil {
		c.s.ev.stateErrors.Inc()
		c.s.log.Warn("sip answered call not persisted", "session", c.sessionID, "err", err)
	}
}

// forgetPersisted undoes persistAnswered for a call whose 200 never
// reached A.
func (c *call) forgetPersisted() {
	if c.s.d.Calls == nil {
		return
	}
	if err := c.s.d.Calls.ForgetCall(c.sessionID); err != nil {
		c.s.ev.stateErrors.Inc()
		c.s.log.Warn("sip unanswered call not forgotten", "session", c.sessionID, "err", err)
	}
}

// AbandonedCall is what a call reports when xnum died while it was up
// (SPEC §6.2): its record as persisted at answer, ended at end by the
// platform with rel (the daemon passes 7102, callRelDirection 0), and the
// disconnect event that goes before that CDR. docs/EVENTS.md says how end is
// chosen.
func AbandonedCall(rec cdr.Record, end time.Time, rel routing.Release) (cdr.Record, cdr.Event) {
	if ans, err := time.Parse(cdr.TimeLayout, rec.FwdAnswerTime); err == nil && end.Before(ans) {
		end = ans
	}
	rec.CallEndTime = cdr.FormatTime(end)
	if rec.FwdAnswerTime == "" {
		// Recorded when xnum answered A itself (AXE): B never answered,
		// so the call failed when it ended (failTime, docs/SIP.md "CDR").
		rec.FailTime = rec.CallEndTime
	}
	rec.ULFailReason = rel.Code()
	rec.CallRelDirection = relPlatform
	rec.SIPStatusCode = 0 // A had its 200
	ev := newEvent(cdr.EventDisconnect, end, rec.SessionID, rec.CallerNum, rec.CalleeNum,
		rec.SubscriptionID, rec.UserData)
	ev.StatusInfo.StateCode = rel.Code()
	ev.StatusInfo.StateDesc = rel.Desc
	return rec, ev
}
