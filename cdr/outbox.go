package cdr

import (
	"encoding/json"
	"time"
)

// The durable outbox (SPEC §6, §7): every event and CDR meant for an
// enterprise is written, synced, as an OutboxItem before xnum counts it as
// emitted; the Dispatcher then pushes it and deletes it once delivered.
// store.Outbox implements OutboxStore on Pebble; docs/EVENTS.md describes the
// whole mechanism.

// Item kinds: an event goes to the app's statusUrl alone, a fee record to its
// feeUrl in batches of at most MaxFeeBatch.
const (
	KindEvent = "event"
	KindFee   = "fee"
)

// OutboxItem is one event or one CDR waiting for delivery to one app.
type OutboxItem struct {
	// ID is assigned by the store at enqueue: unique and increasing in
	// enqueue order, never reused. Order of delivery follows it.
	ID uint64 `json:"id"`
	// AppKey is the app whose receiver gets the item.
	AppKey string `json:"appKey"`
	// Kind is KindEvent or KindFee.
	Kind string `json:"kind"`
	// SessionID is the call the item belongs to (SPEC §6.1 sessionId): an
	// item never overtakes an earlier undelivered item of its session.
	SessionID string `json:"sessionId"`
	// Payload is the JSON of one Event (the whole body of its push) or of
	// one Record (one element of a fee push's feeLst).
	Payload json.RawMessage `json:"payload"`
	// Created is when the item was enqueued (store clock).
	Created time.Time `json:"created"`
	// Attempts counts the failed pushes so far.
	Attempts int `json:"attempts"`
	// NextAttempt is when the item is due; zero means now.
	NextAttempt time.Time `json:"nextAttempt"`
	// FirstFailure is when its first push failed; the retry schedule counts
	// from it (SPEC §6.2). Zero until a push fails.
	FirstFailure time.Time `json:"firstFailure"`
	// LastError says why the last push failed. It never holds a number.
	LastError string `json:"lastError,omitempty"`
}

// OutboxStore is what the Dispatcher needs of the durable outbox.
// store.Outbox implements it; every mutation is synced before it returns.
type OutboxStore interface {
	// Enqueue assigns IDs to items, in order, and stores them as pending in
	// one synced batch. When it returns they are visible to Pending.
	Enqueue(items ...OutboxItem) ([]uint64, error)
	// EnqueueWithCDR stores rec as the local CDR copy (what Store.PutCDR
	// does) and items in the same synced batch. items may be empty.
	EnqueueWithCDR(rec Record, items ...OutboxItem) ([]uint64, error)
	// PendingApps lists the apps that have pending items.
	PendingApps() ([]string, error)
	// AppendPending appends to dst up to limit pending items of appKey
	// with an ID above afterID, in ID order, and returns the extended slice
	// (dst as given when it fails): the worker loads into its queue.
	AppendPending(dst []OutboxItem, appKey string, afterID uint64, limit int) ([]OutboxItem, error)
	// MarkDelivered deletes delivered items.
	MarkDelivered(appKey string, ids ...uint64) error
	// MarkFailed stores the new Attempts, NextAttempt, FirstFailure and
	// LastError of pending items.
	MarkFailed(items ...OutboxItem) error
	// MoveToDead parks items as dead letters (SPEC §6.2).
	MoveToDead(items ...OutboxItem) error
	// Redrive makes a dead item pending again, due now, with a fresh retry
	// schedule and a new ID (the end of its app's queue). It returns the
	// item as re-enqueued.
	Redrive(id uint64) (OutboxItem, error)
	// Depth counts the pending and the dead items.
	Depth() (pending, dead int, err error)
}

// RetryDelays is the vendor's schedule: a failed push is retried these
// durations after the item's FIRST failure, then the item is dead
// (SPEC §6.2 [HW]). It returns a fresh array: the schedule is no mutable
// global.
func RetryDelays() [6]time.Duration {
	return [6]time.Duration{
		1 * time.Minute, 4 * time.Minute, 9 * time.Minute,
		106 * time.Minute, 203 * time.Minute, 300 * time.Minute,
	}
}

// NextRetry is when an item that first failed at first and failed again at
// now is tried next: the first slot of the schedule still ahead of now.
// ok=false means no slot is left and the item is dead. A slot already past
// (xnum was down, or a push was slow) is skipped rather than tried at once,
// so the attempts never bunch up; the item is still dead no later than the
// first failure after first+300 min.
func NextRetry(first, now time.Time) (next time.Time, ok bool) {
	for _, d := range RetryDelays() {
		if t := first.Add(d); t.After(now) {
			return t, true
		}
	}
	return time.Time{}, false
}

// NewEventItem makes the outbox item of one event for appKey.
func NewEventItem(appKey string, ev Event) (OutboxItem, error) {
	p := ev.AppendJSON(make([]byte, 0, ev.jsonSize())) // json.Marshal's bytes (json.go)
	return OutboxItem{AppKey: appKey, Kind: KindEvent, SessionID: ev.StatusInfo.SessionID, Payload: p}, nil
}

// NewFeeItem makes the outbox item of one CDR for appKey.
func NewFeeItem(appKey string, rec Record) (OutboxItem, error) {
	if rec.ICID == "" {
		return OutboxItem{}, ErrNoICID
	}
	p := rec.AppendJSON(make([]byte, 0, rec.jsonSize())) // json.Marshal's bytes (json.go)
	return OutboxItem{AppKey: appKey, Kind: KindFee, SessionID: rec.SessionID, Payload: p}, nil
}
