package main

import (
	"context"
	"time"
)

// startBackground runs the binding sweeper, the webhook delivery of the
// outbox and the CDR pruning loop until ctx ends; d.bg waits for them all.
// They stop after SIP has closed, so the last calls' CDRs are queued (and
// delivered after a restart when a push was still pending).
func (d *daemon) startBackground(ctx context.Context) {
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		if err := d.dispatcher.Run(ctx); err != nil {
			d.log.Error("webhook delivery stopped", "err", err)
		}
	}()

	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		if err := d.store.RunSweeper(ctx, d.cfg.Store.SweepInterval); err != nil {
			d.log.Error("binding sweeper stopped", "err", err)
		}
	}()

	if d.cfg.CDR.Retention <= 0 {
		return
	}
	// cdr.retention: prune once now, before the start returns (records that
	// aged out while xnum was down are gone before anyone queries), then
	// hourly: retention is counted in days.
	d.pruneCDRs(time.Now())
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				d.pruneCDRs(now)
			}
		}
	}()
}

// pruneCDRs deletes the local CDRs stored before now − cdr.retention and
// returns how many went.
func (d *daemon) pruneCDRs(now time.Time) int {
	n, err := d.store.PruneCDRs(now.Add(-d.cfg.CDR.Retention))
	if err != nil {
		d.log.Warn("CDR pruning failed", "err", err)
		return 0
	}
	if n > 0 {
		d.log.Info("pruned old CDRs", "count", n, "retention", d.cfg.CDR.Retention)
	}
	return n
}
