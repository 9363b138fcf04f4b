package main

// AX end to end (SPEC §3, issue 4): anyone → X → A shown X; A → X → the
// temporary callee set through the API (once, within 60 s); without one
// 8013; a suspended X 8055, a frozen app 7108.

import (
	"testing"

	"github.com/xnum/xnum/routing"
)

func TestE2EModeAX(t *testing.T) {
	t.Parallel()
	const (
		app = "axapp"
		x   = "+8617000000100"
	)
	var (
		a      = alice.with("+8613800000101")
		temp   = bob.with("+8613800000102")
		anyone = stranger.with("+8613900000103")
	)
	m := newModeEnv(t, envOpts{})
	m.createApp(app, "AX", nil, x, "+8617000000101")
	sub := m.manage("POST", "/rest/provision/caas/privatenumber/v1.0", app,
		map[string]any{"origNum": a.Number, "privateNum": x})["subscriptionId"].(string)

	t.Run("anyone to X reaches A shown X", func(t *testing.T) {
		rec := m.connected(t, anyone, x, a, x)
		checkModeCDR(t, rec, modeWant{Dir: 0, Service: "003", App: app, Caller: anyone.Number, Dialled: x,
			Display: x, Dst: a.Number, Sub: sub, Answered: true})
	})
	t.Run("A to X without temporary callee: 8013", func(t *testing.T) {
		rec := m.refused(t, a, x, 403, 21, routing.PromptNoBinding)
		checkModeCDR(t, rec, modeWant{Cause: 8013, Status: 403, Dir: 2, Service: "003", App: app,
			Caller: a.Number, Dialled: x, Sub: sub})
	})
	m.manage("PUT", "/rest/caas/privatenumber/calleenumber/v1.0", app,
		map[string]any{"subscriptionId": sub, "calleeNum": temp.Number})
	t.Run("A to X reaches the temporary callee shown X", func(t *testing.T) {
		rec := m.connected(t, a, x, temp, x)
		checkModeCDR(t, rec, modeWant{Dir: 1, Service: "003", App: app, Caller: a.Number, Dialled: x,
			Display: x, Dst: temp.Number, Sub: sub, Answered: true})
	})
	t.Run("the temporary callee serves one call: the second is 8013", func(t *testing.T) {
		rec := m.refused(t, a, x, 403, 21, routing.PromptNoBinding)
		checkModeCDR(t, rec, modeWant{Cause: 8013, Status: 403, Dir: 2, Service: "003", App: app,
			Caller: a.Number, Dialled: x, Sub: sub})
	})
	t.Run("suspended X 8055, frozen app 7108", func(t *testing.T) {
		m.frozenAndSuspended(t, app, "003", anyone, x)
	})
	t.Run("resumed and unfrozen: anyone reaches A again", func(t *testing.T) {
		rec := m.connected(t, anyone, x, a, x)
		checkModeCDR(t, rec, modeWant{Dir: 0, Service: "003", App: app, Caller: anyone.Number, Dialled: x,
			Display: x, Dst: a.Number, Sub: sub, Answered: true})
	})
}
