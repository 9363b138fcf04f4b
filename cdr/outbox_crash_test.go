package cdr_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/xnum/xnum/api"
	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// The crash test (SPEC §7, §6.2): a child process emits events and CDRs
// from several goroutines and prints "ack" after each Emit returns; the
// parent SIGKILLs it mid-stream, reopens the directory, finds every
// acknowledged item pending (and each acknowledged CDR kept locally), then
// runs a Dispatcher and sees every one of them delivered.

const crashDirEnv = "XNUM_OUTBOX_CRASH_DIR"

// TestOutboxCrashChild is the child; it does nothing unless started by
// TestOutboxCrashKeepsAcked.
func TestOutboxCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestOutboxCrashKeepsAcked")
	}
	fail := func(what string, err error) {
		fmt.Printf("err %s: %v\n", what, err)
		os.Exit(1)
	}
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fail("open", err)
	}
	ob, err := store.OpenOutbox(st)
	if err != nil {
		fail("outbox", err)
	}
	// The receiver is unknown here: the URLs only have to be set for the
	// items to be queued. The dispatcher is never run.
	app := routing.App{Key: "app1", Secret: "k", StatusURL: "http://127.0.0.1:9/status", FeeURL: "http://127.0.0.1:9/fee"}
	d, err := cdr.NewDispatcher(cdr.DispatcherDeps{Store: ob, Sign: api.SignHeaders,
		Apps: func(string) (routing.App, error) { return app, nil }})
	if err != nil {
		fail("dispatcher", err)
	}
	rec, err := cdr.NewRecorder(d.RecorderStore(), "", nil)
	if err != nil {
		fail("recorder", err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			// Bounded so that a parent that never kills cannot leave it running.
			for i := range 50000 {
				session := fmt.Sprintf("g%d-%d", g, i)
				if i%3 == 2 {
					r := cdr.Record{ICID: "icid-" + session, AppKey: "app1", SessionID: session}
					if err := rec.Emit(r); err != nil {
						fail("emit cdr", err)
					}
					fmt.Printf("ack fee %s\n", r.ICID) // one write(2) per line
					continue
				}
				ev := cdr.Event{EventType: cdr.EventCallIn, StatusInfo: cdr.StatusInfo{SessionID: session}}
				if err := d.EmitEvent("app1", ev); err != nil {
					fail("emit event", err)
				}
				fmt.Printf("ack event %s\n", session)
			}
		})
	}
	wg.Wait()
}

func TestOutboxCrashKeepsAcked(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutboxCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ackedEvents, ackedFees := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "err ") {
			t.Fatalf("child: %s", line)
		}
		kind, id, ok := strings.Cut(strings.TrimPrefix(line, "ack "), " ")
		if !ok || !strings.HasPrefix(line, "ack ") {
			continue
		}
		if kind == "fee" {
			ackedFees[id] = true
		} else {
			ackedEvents[id] = true
		}
		if !killed && len(ackedEvents)+len(ackedFees) >= 400 {
			// SIGKILL: no deferred code, no flush. Acks already printed
			// are still read below: each was printed after a synced write.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before the kill after %d acks", len(ackedEvents)+len(ackedFees))
	}
	t.Logf("acked before the kill: %d events, %d CDRs", len(ackedEvents), len(ackedFees))

	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	e := newEnv(t, dir, clk, apps, nil)

	// Every acked item is pending, and every acked CDR kept locally.
	pending, err := e.ob.Pending("app1", 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	queued := map[string]bool{}
	for _, it := range pending {
		queued[it.Kind+"/"+it.SessionID] = true
	}
	for s := range ackedEvents {
		if !queued[cdr.KindEvent+"/"+s] {
			t.Fatalf("acked event of %s lost", s)
		}
	}
	local := map[string]bool{}
	for page := 1; ; page++ {
		recs, total, err := e.st.QueryCDRs(store.CDRFilter{PageIndex: page, PageSize: store.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			local[r.ICID] = true
		}
		if page*store.MaxPageSize >= total {
			break
		}
	}
	for icid := range ackedFees {
		if !queued[cdr.KindFee+"/"+strings.TrimPrefix(icid, "icid-")] || !local[icid] {
			t.Fatalf("acked CDR %s lost (queued %v, local %v)", icid, queued[cdr.KindFee+"/"+strings.TrimPrefix(icid, "icid-")], local[icid])
		}
	}

	// Then every one of them is delivered.
	e.run(t)
	for len(ackedEvents)+len(ackedFees) > 0 {
		p := rc.next(t)
		if _, err := verifyAKSK(p.Header, "app1", "k"); err != nil {
			t.Fatal(err)
		}
		d := decode(t, p)
		if d.EventType == cdr.EventFee {
			for _, r := range d.FeeLst {
				delete(ackedFees, r["icid"].(string))
			}
			continue
		}
		delete(ackedEvents, d.StatusInfo["sessionId"].(string))
	}
}
