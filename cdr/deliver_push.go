package cdr

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/xnum/xnum/routing"
)

// unit is one push: a single event, or a batch of at most MaxFeeBatch fee
// records.
type unit struct {
	kind  string
	items []OutboxItem
}

// body is the JSON posted: the event itself (SPEC §6.1), or the fee
// envelope {"eventType":"fee","feeLst":[…]} around the stored records
// (SPEC §6.2), built from their JSON without decoding it.
func (u unit) body() []byte {
	if u.kind != KindFee {
		return u.items[0].Payload
	}
	n := len(`{"eventType":"","feeLst":[]}`) + len(EventFee)
	for _, it := range u.items {
		n += len(it.Payload) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"eventType":"`+EventFee+`","feeLst":[`...)
	for i, it := range u.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.Payload...)
	}
	return append(b, "]}"...)
}

// plan picks up to maxUnits pushes from queue (in id order): only the
// earliest pending item of each sessionId may go, and only when due, so a
// session's items go out one after the other, in order, and an item waiting
// for its retry holds back the rest of its session (SPEC §6.2). Fee records
// of different sessions share batches of MaxFeeBatch. When no item is due,
// wake is when the first one will be. An item without a sessionId is a
// session of its own. Items in busy (planned, being pushed or being
// settled) are not pushed again and hold their sessions back; items in gone
// (settled for good, not yet dropped from the queue) are skipped as if
// absent.
func plan(queue []OutboxItem, now time.Time, maxUnits int, busy, gone map[uint64]bool) (units []unit, wake time.Time) {
	seen := make(map[string]bool)
	fee := -1 // index in units of the fee batch being filled
	for _, it := range queue {
		if gone[it.ID] {
			continue
		}
		key := it.SessionID
		if key == "" {
			key = "\x00" + strconv.FormatUint(it.ID, 10)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if busy[it.ID] {
			continue
		}
		if it.NextAttempt.After(now) {
			if wake.IsZero() || it.NextAttempt.Before(wake) {
				wake = it.NextAttempt
			}
			continue
		}
		if it.Kind == KindFee && fee >= 0 && len(units[fee].items) < MaxFeeBatch {
			units[fee].items = append(units[fee].items, it)
			continue
		}
		if len(units) == maxUnits {
			break
		}
		units = append(units, unit{kind: it.Kind, items: []OutboxItem{it}})
		if it.Kind == KindFee {
			fee = len(units) - 1
		}
	}
	return units, wake
}

type outcome int

const (
	delivered outcome = iota // 2xx within the timeout
	nowhere                  // the app has no URL for it: done, pushed nowhere
	failed                   // counts towards the retry schedule
	aborted                  // shutdown: left as it was
)

func (o outcome) String() string {
	return [...]string{"delivered", "nowhere", "failed", "aborted"}[o]
}

type pushResult struct {
	outcome outcome
	reason  string
	// noAnswer: the receiver gave no HTTP answer at all (refused, reset,
	// timed out); the worker then fails the other planned pushes to it
	// without sending them.
	noAnswer bool
}

// push sends one unit to url, signed with the app's secret (SPEC §6.1), and
// says how it went. It runs on its own goroutine.
func (w *worker) push(ctx context.Context, app routing.App, url string, u unit) pushResult {
	rctx, cancel := context.WithTimeout(ctx, w.d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(u.body()))
	if err != nil {
		return pushResult{outcome: failed, reason: "request: " + err.Error()}
	}
	req.Header["Content-Type"] = []string{"application/json;charset=UTF-8"}
	if err := w.d.sign(req, w.app, app.Secret, w.d.now()); err != nil {
		return pushResult{outcome: failed, reason: "sign: " + err.Error()}
	}
	resp, err := w.d.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return pushResult{outcome: aborted}
		}
		return pushResult{outcome: failed, reason: err.Error(), noAnswer: true}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return pushResult{outcome: failed, reason: "http status " + strconv.Itoa(resp.StatusCode)}
	}
	return pushResult{outcome: delivered}
}
