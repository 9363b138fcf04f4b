package store

import (
	"os"
	"strconv"
	"testing"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// The crash test (SPEC §7): a child process writes to the store and prints an
// acknowledgement after each call returns; the parent SIGKILLs it mid-stream,
// reopens the directory and finds every acknowledged write, and nothing half
// applied (CheckIndexes).

const crashEnv = "XNUM_STORE_CRASH_DIR"

// The child's script, by operation number i, in cycles of five: bind P(c),
// store a CDR, modify P(c), bind Q(c) with an expiry, unbind Q(c-1).
const crashCycle = 5

func crashPair(c int, q bool) (routing.Number, routing.Number) {
	base := 4 * c
	if q {
		base += 2
	}
	return num(base), num(base + 1)
}

func crashUserData(c int) string { return "modified-" + strconv.Itoa(c) }

// TestHelperProcess is the child; it does nothing unless started by
// TestCrashKeepsAcknowledged.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestCrashKeepsAcknowledged")
	}
	p := map[int]string{}
	q := map[int]string{}
	// Bounded so that a parent that never kills cannot leave it running.
	crashChild(dir, 200000, false, func(s *Store, i int) (ack string, err error) {
		c := i / crashCycle
		switch i % crashCycle {
		case 0:
			a, b := crashPair(c, false)
			var bd routing.Binding
			if bd, err = s.BindAXB(BindRequest{AppKey: "a", A: a, B: b}); err == nil {
				p[c], ack = bd.ID, bd.ID
			}
		case 1:
			ack = "icid-" + strconv.Itoa(i)
			err = s.PutCDR(cdr.Record{ICID: ack, AppKey: "a"})
		case 2:
			ack = p[c]
			_, err = s.ModifyAXB("a", p[c], func(b *routing.Binding) error { b.UserData = crashUserData(c); return nil })
		case 3:
			a, b := crashPair(c, true)
			var bd routing.Binding
			if bd, err = s.BindAXB(BindRequest{AppKey: "a", A: a, B: b, Duration: 86400}); err == nil {
				q[c], ack = bd.ID, bd.ID
			}
		case 4:
			if c > 0 {
				ack = q[c-1]
				err = s.UnbindAXB("a", q[c-1])
			}
		}
		return ack, err
	})
}

func TestCrashKeepsAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var xs []routing.Number
	for i := range 20 {
		xs = append(xs, xnum(i))
	}
	seedApp(t, s, "a", xs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Kill mid-cycle, after some acknowledgements.
	const killAfter = 137
	acks, last := crashRun(t, "TestHelperProcess", crashEnv, dir, killAfter)

	s, _ = openDir(t, dir, Options{})
	mustCheck(t, s)
	inflight := last + 1 // may or may not have been applied
	cdrs, _, err := s.QueryCDRs(CDRFilter{PageSize: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= last; i++ {
		c, id := i/crashCycle, acks[i]
		switch i % crashCycle {
		case 0, 3:
			unbound := i%crashCycle == 3 && last >= i+crashCycle+1 // Q(c) unbound by op 5c+9
			maybe := i%crashCycle == 3 && inflight == i+crashCycle+1
			b, err := s.GetBinding("a", id)
			switch {
			case maybe:
			case unbound && err == nil:
				t.Errorf("op %d: binding unbound by an acknowledged unbind is back", i)
			case !unbound && err != nil:
				t.Errorf("op %d: acknowledged binding lost: %v", i, err)
			case !unbound:
				a, bb := crashPair(c, i%crashCycle == 3)
				if b.A != a || b.B != bb {
					t.Errorf("op %d: binding %+v, want %s–%s", i, b, a, bb)
				}
				routes(t, s, b.X, a, id)
				routes(t, s, b.X, bb, id)
				modified := i%crashCycle == 0 && last >= i+2
				if modified && b.UserData != crashUserData(c) {
					t.Errorf("op %d: acknowledged modify lost: userData %q", i, b.UserData)
				}
				if !modified && inflight != i+2 && b.UserData != "" {
					t.Errorf("op %d: unacknowledged modify applied: %q", i, b.UserData)
				}
			}
		case 1:
			if !hasICID(cdrs, id) {
				t.Errorf("op %d: acknowledged CDR %s lost", i, id)
			}
		}
	}
	// Nothing beyond the one operation in flight was applied.
	_, total, err := s.QueryAXB(Query{AppKey: "a", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := liveAfter(last)
	if total != want && total != liveAfter(inflight) {
		t.Errorf("%d live bindings, want %d (or %d with the in-flight op)", total, want, liveAfter(inflight))
	}
	// The reopened store takes new work.
	mustBind(t, s, BindRequest{AppKey: "a", A: num(1 << 20), B: num(1<<20 + 1)})
	mustCheck(t, s)
}

// liveAfter is the number of live bindings once ops 0..i are applied.
func liveAfter(i int) int {
	n := 0
	for j := 0; j <= i; j++ {
		switch j % crashCycle {
		case 0, 3:
			n++
		case 4:
			if j >= crashCycle {
				n--
			}
		}
	}
	return n
}

func hasICID(rs []cdr.Record, icid string) bool {
	for _, r := range rs {
		if r.ICID == icid {
			return true
		}
	}
	return false
}
