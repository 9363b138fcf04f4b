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
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		// Prune once at start, then hourly: retention is counted in days.
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			n, err := d.store.PruneCDRs(time.Now().Add(-d.cfg.CDR.Retention))
			if err != nil {
				d.log.Warn("CDR pruning failed", "err", err)
			} else if n > 0 {
				d.log.Info("pruned old CDRs", "count", n, "retention", d.cfg.CDR.Retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
