package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// clock is the injected Options.Now: tests move time instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTest opens a store in a fresh directory with a fake clock.
func openTest(t testing.TB, opts Options) (*Store, *clock) {
	t.Helper()
	return openDir(t, t.TempDir(), opts)
}

func openDir(t testing.TB, dir string, opts Options) (*Store, *clock) {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, c
}

// num returns a distinct valid mobile number.
func num(i int) routing.Number { return routing.Number(fmt.Sprintf("+86138%08d", i)) }

// xnum returns a distinct X number.
func xnum(i int) routing.Number { return routing.Number(fmt.Sprintf("+86170%08d", i)) }

// seedApp creates an AXB app with the X numbers xs in area "0755".
func seedApp(t testing.TB, s *Store, key string, xs ...routing.Number) {
	t.Helper()
	seedModeApp(t, s, key, routing.ModeAXB, 0, "0755", xs...)
}

func mustBind(t testing.TB, s *Store, r BindRequest) routing.Binding {
	t.Helper()
	b, err := s.BindAXB(r)
	if err != nil {
		t.Fatalf("BindAXB %s–%s: %v", r.A.Masked(), r.B.Masked(), err)
	}
	return b
}

func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.CheckIndexes(); err != nil {
		t.Fatalf("CheckIndexes: %v", err)
	}
}

// routes asserts what BindingByParty answers for n on x.
func routes(t testing.TB, s *Store, x, n routing.Number, wantID string) {
	t.Helper()
	b, ok, err := s.BindingByParty(x, n)
	if err != nil {
		t.Fatalf("BindingByParty: %v", err)
	}
	switch {
	case wantID == "" && ok:
		t.Fatalf("BindingByParty(%s, %s) = %s, want none", x.Masked(), n.Masked(), b.ID)
	case wantID != "" && (!ok || b.ID != wantID):
		t.Fatalf("BindingByParty(%s, %s) = %q ok=%v, want %s", x.Masked(), n.Masked(), b.ID, ok, wantID)
	}
}

// seedModeApp creates an app of mode (AXE apps with extension length
// extLen) owning xs in area.
func seedModeApp(t testing.TB, s *Store, key string, mode routing.Mode, extLen int, area string, xs ...routing.Number) {
	t.Helper()
	if err := s.CreateApp(routing.App{Key: key, Secret: "s", Mode: mode, ExtLen: extLen}); err != nil {
		t.Fatalf("CreateApp %s: %v", key, err)
	}
	if len(xs) > 0 {
		if err := s.AddNumbers(key, xs, area); err != nil {
			t.Fatalf("AddNumbers %s: %v", key, err)
		}
	}
}

// xs returns the X numbers xnum(from) … xnum(to).
func xrange(from, to int) []routing.Number {
	var out []routing.Number
	for i := from; i <= to; i++ {
		out = append(out, xnum(i))
	}
	return out
}

// race runs n calls of fn at once (released together by a closed channel)
// and returns each one's error, in call order.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// wantErr fails unless err matches want (nil for success).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func mustBindAX(t testing.TB, s *Store, r AXBindRequest) routing.AXBinding {
	t.Helper()
	b, err := s.BindAX(r)
	if err != nil {
		t.Fatalf("BindAX %s: %v", r.A.Masked(), err)
	}
	return b
}

func mustBindAXE(t testing.TB, s *Store, r AXEBindRequest) routing.AXEBinding {
	t.Helper()
	b, err := s.BindAXE(r)
	if err != nil {
		t.Fatalf("BindAXE %s: %v", r.A.Masked(), err)
	}
	return b
}

func mustBindAXYB(t testing.TB, s *Store, r AXYBBindRequest) routing.AXYBBinding {
	t.Helper()
	b, err := s.BindAXYB(r)
	if err != nil {
		t.Fatalf("BindAXYB %s: %v", r.A.Masked(), err)
	}
	return b
}

// wins counts the calls of a race that succeeded; every other one must
// have failed with lost.
func wins(t testing.TB, errs []error, lost error) int {
	t.Helper()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, lost):
			t.Fatalf("unexpected %v", err)
		}
	}
	return won
}

// The plumbing of the crash tests (SPEC §7): a child process writes to the
// store and prints an acknowledgement after each call returns; the parent
// SIGKILLs it mid-stream and then checks the reopened directory.

// crashChild is the child's side: it opens the store in dir, runs op for
// i = 0 … ops-1 and prints "ack i id" after each returns, or "err i: …" and
// exits on a failure. Done, it waits to be killed when wait, else exits.
func crashChild(dir string, ops int, wait bool, op func(s *Store, i int) (ack string, err error)) {
	s, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Printf("err open: %v\n", err)
		os.Exit(1)
	}
	for i := range ops {
		ack, err := op(s, i)
		if err != nil {
			fmt.Printf("err %d: %v\n", i, err)
			os.Exit(1)
		}
		// Printed only after the call returned: this line is the client's
		// acknowledgement.
		fmt.Printf("ack %d %s\n", i, ack)
	}
	if wait {
		_, _ = io.Copy(io.Discard, os.Stdin) // wait for the kill
	}
	os.Exit(0)
}

// crashRun is the parent's side: it runs the test named child in a child
// process with env set to dir, reads its acknowledgements, SIGKILLs it once
// killAfter have come, and returns them by operation number with the last
// one. Whatever the child printed before dying is acknowledged too, so it
// reads to the end.
func crashRun(t *testing.T, child, env, dir string, killAfter int) (acks map[int]string, last int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // held open: a waiting child waits on it
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks = map[int]string{}
	last = -1
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
	return acks, last
}
