package main

// AXYB end to end (SPEC §3, issue 4): A–X is bound through the API; a
// caller B of X gets a free Y of the app at its first call (B → X → A
// shown Y), then A → Y → B shown X and B → X → A shown Y again; no free Y
// → 500 / 8031; A dialling its own X 8032, an A calling a Y of no relation
// 8030, a forbidden direction 8016; a suspended X 8055, a frozen app 7108.

import (
	"testing"

	"github.com/xnum/xnum/routing"
)

func TestE2EModeAXYB(t *testing.T) {
	t.Parallel()
	const (
		app = "axybapp"
		x   = "+8617000000200" // A's X
		x2  = "+8617000000201" // A2's X
		x3  = "+8617000000202" // A3's X, callDirection 1 (only A → Y → B)
		y   = "+8617000000209" // the one number left to serve as Y
	)
	var (
		a  = alice.with("+8613800000201")
		a2 = alice.with("+8613800000202")
		a3 = alice.with("+8613800000203")
		b  = bob.with("+8613900000201")
		b2 = bob.with("+8613900000202")
	)
	m := newModeEnv(t, envOpts{})
	m.createApp(app, "AXYB", nil, x, x2, x3, y)
	bind := func(origNum, privateNum string, dir int) string {
		return m.manage("POST", "/rest/omp/xyrelationnumber/v1.0", app,
			map[string]any{"origNum": origNum, "privateNum": privateNum, "callDirection": dir})["subscriptionId"].(string)
	}
	sub := bind(a.Number, x, 0)
	bind(a2.Number, x2, 0)
	sub3 := bind(a3.Number, x3, 1)

	t.Run("B's first call takes a free Y: A is shown Y", func(t *testing.T) {
		rec := m.connected(t, b, x, a, y)
		checkModeCDR(t, rec, modeWant{Service: "007", App: app, Caller: b.Number, Dialled: x,
			Display: y, Dst: a.Number, Sub: sub, Answered: true})
		q := m.manage("GET", "/rest/omp/xyrelationnumber/v1.0?subscriptionId="+sub, app, nil)
		rows, _ := q["xyRelationNumList"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["numY"] != y || rows[0].(map[string]any)["numB"] != b.Number {
			t.Errorf("relations after B's call: %v, want B %s – Y %s", q["xyRelationNumList"], b.Number, y)
		}
	})
	t.Run("A to Y reaches B shown X", func(t *testing.T) {
		rec := m.connected(t, a, y, b, x)
		checkModeCDR(t, rec, modeWant{Service: "007", App: app, Caller: a.Number, Dialled: y,
			Display: x, Dst: b.Number, Sub: sub, Answered: true})
	})
	t.Run("B to X again: the same Y", func(t *testing.T) {
		rec := m.connected(t, b, x, a, y)
		checkModeCDR(t, rec, modeWant{Service: "007", App: app, Caller: b.Number, Dialled: x,
			Display: y, Dst: a.Number, Sub: sub, Answered: true})
	})
	t.Run("another B, no free Y: 500 / 8031", func(t *testing.T) {
		rec := m.refused(t, b2, x, 500, 41, routing.PromptError)
		checkModeCDR(t, rec, modeWant{Cause: 8031, Status: 500, Dir: 2, Service: "007", App: app,
			Caller: b2.Number, Dialled: x, Sub: sub})
	})
	t.Run("A dials its own X: 8032", func(t *testing.T) {
		rec := m.refused(t, a, x, 403, 21, routing.PromptNoPerm)
		checkModeCDR(t, rec, modeWant{Cause: 8032, Status: 403, Dir: 2, Service: "007", App: app,
			Caller: a.Number, Dialled: x, Sub: sub})
	})
	t.Run("an A of the app calls a Y of no relation: 8030", func(t *testing.T) {
		rec := m.refused(t, a2, y, 403, 21, routing.PromptNoBinding)
		checkModeCDR(t, rec, modeWant{Cause: 8030, Status: 403, Dir: 2, Service: "007", App: app,
			Caller: a2.Number, Dialled: y})
	})
	t.Run("callDirection 1: B to X is 8016, nothing allocated", func(t *testing.T) {
		rec := m.refused(t, b2, x3, 403, 21, routing.PromptNoPerm)
		checkModeCDR(t, rec, modeWant{Cause: 8016, Status: 403, Dir: 2, Service: "007", App: app,
			Caller: b2.Number, Dialled: x3, Sub: sub3})
	})
	t.Run("suspended X 8055, frozen app 7108", func(t *testing.T) {
		m.frozenAndSuspended(t, app, "007", b, x)
	})
}
