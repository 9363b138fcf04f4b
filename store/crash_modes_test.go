package store

import (
	"os"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// The crash test of the mode families (SPEC §7), as TestCrashKeepsAcknowledged
// does for AXB: a child acknowledges each write after it returns, the parent
// SIGKILLs it, reopens, and finds every acknowledged write and nothing half
// applied.

const crashModesEnv = "XNUM_STORE_CRASH_MODES_DIR"

// The child's script, by operation number i, in cycles of six: AX bind A(c),
// its temporary callee, AXE bind A(c), AXYB bind A(c), a Y for B(c), unbind
// the AXYB binding of cycle c-1.
const (
	modesCycle   = 6
	modesMaxOps  = 240 // the child then waits to be killed
	modesNumbers = 60  // X numbers per app: more than modesMaxOps/modesCycle binds
)

func crashB(c int) routing.Number { return num(5000 + c) }

func TestHelperProcessModes(t *testing.T) {
	dir := os.Getenv(crashModesEnv)
	if dir == "" {
		t.Skip("child process of TestCrashModesKeepAcknowledged")
	}
	yb := map[int]string{}
	crashChild(dir, modesMaxOps, true, func(s *Store, i int) (ack string, err error) {
		c := i / modesCycle
		switch i % modesCycle {
		case 0:
			var b routing.AXBinding
			if b, err = s.BindAX(AXBindRequest{AppKey: "ax", A: num(c)}); err == nil {
				ack = b.ID
			}
		case 1:
			var tc routing.TempCallee
			if tc, err = s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(100 + c%modesNumbers), Callee: num(9000 + c)}); err == nil {
				ack = tc.SubscriptionID
			}
		case 2:
			var b routing.AXEBinding
			if b, err = s.BindAXE(AXEBindRequest{AppKey: "e", A: num(c)}); err == nil {
				ack = b.ID
			}
		case 3:
			var b routing.AXYBBinding
			if b, err = s.BindAXYB(AXYBBindRequest{AppKey: "y", A: num(c)}); err == nil {
				yb[c], ack = b.ID, b.ID
			}
		case 4:
			var r routing.YRelation
			if r, err = s.AllocateY(yb[c], crashB(c), time.Now()); err == nil {
				ack = r.ID
			}
		case 5:
			if c > 0 {
				ack = yb[c-1]
				err = s.UnbindAXYB("y", yb[c-1])
			}
		}
		return ack, err
	})
}

func TestCrashModesKeepAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(100, 100+modesNumbers-1)...)
	seedModeApp(t, s, "e", routing.ModeAXE, 2, "0755", xrange(200, 200+modesNumbers-1)...)
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(300, 300+modesNumbers-1)...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	const killAfter = 101 // mid-cycle
	acks, last := crashRun(t, "TestHelperProcessModes", crashModesEnv, dir, killAfter)

	s, _ = openDir(t, dir, Options{})
	mustCheck(t, s)
	inflight := last + 1
	acked := func(i int) bool { return i <= last }
	for i := 0; i <= last; i++ {
		c, id := i/modesCycle, acks[i]
		switch i % modesCycle {
		case 0:
			if b, err := s.GetAX("ax", id); err != nil || b.A != num(c) {
				t.Errorf("op %d: acknowledged AX bind lost: %+v %v", i, b, err)
			}
		case 1:
			if tc, ok, err := loadTemp(s.db, xnum(100+c%modesNumbers)); err != nil || !ok || tc.SubscriptionID != id || tc.Callee != num(9000+c) {
				t.Errorf("op %d: acknowledged temporary callee lost: %+v %v", i, tc, err)
			}
		case 2:
			if b, err := s.GetAXE("e", id); err != nil || b.A != num(c) {
				t.Errorf("op %d: acknowledged AXE bind lost: %+v %v", i, b, err)
			}
		case 3, 4:
			unbindOp := (c+1)*modesCycle + 5
			b := acks[c*modesCycle+3]
			_, rels, err := s.GetAXYB("y", b)
			switch {
			case inflight == unbindOp:
			case acked(unbindOp) && err == nil:
				t.Errorf("op %d: AXYB binding unbound by an acknowledged unbind is back", i)
			case !acked(unbindOp) && err != nil:
				t.Errorf("op %d: acknowledged AXYB bind lost: %v", i, err)
			case !acked(unbindOp) && i%modesCycle == 4 && (len(rels) != 1 || rels[0].ID != id || rels[0].B != crashB(c)):
				t.Errorf("op %d: acknowledged Y relation lost: %+v", i, rels)
			}
		}
	}
	// Nothing beyond the operation in flight was applied.
	axs, _, err := s.QueryAX(AXQuery{AppKey: "ax", PageSize: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	want := (last + modesCycle) / modesCycle // acknowledged op 0s
	if len(axs) != want && !(inflight%modesCycle == 0 && len(axs) == want+1) {
		t.Errorf("%d AX bindings, want %d", len(axs), want)
	}
	mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(1 << 20)})
	mustCheck(t, s)
}
