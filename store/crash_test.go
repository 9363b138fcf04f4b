package store

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
	s, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Printf("err open: %v\n", err)
		os.Exit(1)
	}
	p := map[int]string{}
	q := map[int]string{}
	// Bounded so that a parent that never kills cannot leave it running.
	for i := 0; i < 200000; i++ {
		c := i / crashCycle
		var ack string
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
		if err != nil {
			fmt.Printf("err %d: %v\n", i, err)
			os.Exit(1)
		}
		// Printed only after the call returned: this line is the client's
		// acknowledgement.
		fmt.Printf("ack %d %s\n", i, ack)
	}
	os.Exit(0)
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

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill mid-cycle, after some acknowledgements; whatever the child printed
	// before dying is acknowledged too, so read to the end.
	const killAfter = 137
	acks := map[int]string{}
	last := -1
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "err ") {
			t.Errorf("child: %s", line)
			continue
		}
		var i int
		var id string
		if n, _ := fmt.Sscanf(line, "ack %d %s", &i, &id); n < 1 {
			continue // the test framework's own output
		}
		if i != last+1 {
			t.Fatalf("ack %d after %d", i, last)
		}
		acks[i], last = id, i
		if !killed && len(acks) >= killAfter {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_, _ = io.Copy(io.Discard, out)
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acks without being killed", len(acks))
	}
	t.Logf("killed after %d acknowledged operations", last+1)

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
