package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/sip"
	"github.com/xnum/xnum/store"
)

// aliveEvery is the heartbeat period: a call up when xnum dies is ended at
// the last heartbeat, at most this much before the death (CDR times have
// one-second resolution).
const aliveEvery = time.Second

// recoverCalls reports the calls that were up when the previous process
// died (SPEC §6.2: "a call that was up when xnum died gets its CDR after
// restart"): for each answered call still recorded, the disconnect event,
// then its CDR — whose write deletes the record in the same batch. It runs
// before SIP listens and before the heartbeat moves. The call ends at the
// last heartbeat (never before its answer), released by the platform: 7102,
// callRelDirection 0 (docs/EVENTS.md "Calls up at a crash"). A failure
// stops the start; the records stay for the next one.
func (d *daemon) recoverCalls(table *routing.Table) error {
	recs, err := d.store.Calls()
	if err != nil {
		return fmt.Errorf("calls left up by the last run: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	end, ok, err := d.store.LastAlive()
	if err != nil {
		return fmt.Errorf("last alive time: %w", err)
	}
	if !ok {
		end = time.Now()
	}
	rel := table.For(routing.CauseInternal)
	for _, r := range recs {
		rec, ev := sip.AbandonedCall(r, end, rel)
		if rec.AppKey != "" {
			if err := d.dispatcher.EmitEvent(rec.AppKey, ev); err != nil {
				return fmt.Errorf("disconnect of call %s: %w", rec.SessionID, err)
			}
		}
		if err := d.recorder.Emit(rec); err != nil && !errors.Is(err, cdr.ErrFile) {
			return fmt.Errorf("cdr of call %s: %w", rec.SessionID, err)
		}
	}
	d.log.Warn("reported the calls that were up when xnum last stopped", "calls", len(recs),
		"ended_at", end.UTC().Format(time.RFC3339), "cause", rel.Code())
	return nil
}

// startHeartbeat notes every aliveEvery that xnum is alive, until ctx ends.
func (d *daemon) startHeartbeat(ctx context.Context) {
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		t := time.NewTicker(aliveEvery)
		defer t.Stop()
		for {
			if err := d.store.MarkAlive(time.Now()); err != nil && !errors.Is(err, store.ErrClosed) {
				d.log.Warn("heartbeat not written", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// deadLetters joins the two halves of the admin API's outbox endpoints:
// the outbox lists its dead items, the dispatcher re-drives one (and wakes
// its app's worker).
type deadLetters struct {
	ob   *store.Outbox
	disp *cdr.Dispatcher
}

func (d deadLetters) ListDead(appKey string, pageIndex, pageSize int) ([]cdr.OutboxItem, int, error) {
	return d.ob.ListDead(appKey, pageIndex, pageSize)
}

func (d deadLetters) Redrive(id uint64) (cdr.OutboxItem, error) { return d.disp.Redrive(id) }
