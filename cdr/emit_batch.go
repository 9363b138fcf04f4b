package cdr

import "fmt"

// AppEvent is one call event for one app (EmitEvents).
type AppEvent struct {
	AppKey string
	Event  Event
}

// EmitEvents is EmitEvent for many events at once: they go into the outbox
// in one synced write, in the order given — which is their order of
// delivery within each session — and their apps' workers are woken. The
// call path's event writers (sip/events.go) hand over what their calls
// queued meanwhile, so one fsync and one app lookup serve many events
// (docs/EVENTS.md "Speed"). Events for appKey "" or for an app without
// statusUrl are skipped, as in EmitEvent. Either every queued event is
// stored or none is.
func (d *Dispatcher) EmitEvents(evs []AppEvent) error {
	items := make([]OutboxItem, 0, len(evs))
	wants := make(map[string]bool, 1)
	skipped := 0
	for _, e := range evs {
		if e.AppKey == "" {
			skipped++
			continue
		}
		w, seen := wants[e.AppKey]
		if !seen {
			w = d.wants(e.AppKey, KindEvent)
			wants[e.AppKey] = w
		}
		if !w {
			skipped++
			continue
		}
		it, err := NewEventItem(e.AppKey, e.Event)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	d.m.item(KindEvent, "skipped", skipped)
	if len(items) == 0 {
		return nil
	}
	if _, err := d.store.Enqueue(items...); err != nil {
		return fmt.Errorf("cdr: enqueue %d events: %w", len(items), err)
	}
	d.m.item(KindEvent, "enqueued", len(items))
	for app, w := range wants {
		if w {
			d.notify(app)
		}
	}
	return nil
}
