package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

// lineChan hands each complete line written to it to the test.
type lineChan chan string

func (l lineChan) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimSuffix(p, []byte("\n")), []byte("\n")) {
		l <- string(line)
	}
	return len(p), nil
}

func tailRecord(n int) cdr.Record {
	return cdr.Record{ICID: cdr.NewICID(), SessionID: cdr.NewSessionID(), AppKey: "demo",
		CallerNum: "+8613800000001", BindNum: "+8617000000000", ULFailReason: 8014, SIPStatusCode: 400 + n,
		Direction: cdr.DirRefused}
}

// TestCDRTail: `xnum cdr tail` against an in-process daemon prints each
// record stored after --since once, as a JSON line, oldest first, with
// polls every 5 ms over an overlap of a minute (every record is seen by
// many polls), and ends with exit 0 when interrupted.
func TestCDRTail(t *testing.T) {
	d, _ := startDaemon(t, testConfig(t))
	before := tailRecord(0)
	if err := d.recorder.Emit(before); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	lines := make(lineChan, 100)
	var errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- execute(ctx, []string{"cdr", "tail", "--api", d.APIURL(), "--token", testToken,
			"--since", since.UTC().Format(time.RFC3339Nano), "--interval", "5ms", "--overlap", "1m"},
			nil, lines, &errb)
	}()
	next := func() cdr.Record {
		t.Helper()
		select {
		case l := <-lines:
			var r cdr.Record
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			return r
		case c := <-code:
			t.Fatalf("tail ended (exit %d): %s", c, errb.String())
		case <-time.After(30 * time.Second):
			t.Fatal("tail printed nothing")
		}
		return cdr.Record{}
	}
	var want []cdr.Record
	for i := 1; i <= 3; i++ {
		r := tailRecord(i)
		if err := d.recorder.Emit(r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	for _, w := range want {
		if got := next(); got.ICID != w.ICID || got.SIPStatusCode != w.SIPStatusCode {
			t.Fatalf("got icid %s (%d), want %s (%d); the record before --since is %s",
				got.ICID, got.SIPStatusCode, w.ICID, w.SIPStatusCode, before.ICID)
		}
	}
	last := tailRecord(4)
	if err := d.recorder.Emit(last); err != nil {
		t.Fatal(err)
	}
	// Only the new record follows, though every poll still sees the others.
	if got := next(); got.ICID != last.ICID {
		t.Fatalf("after a fourth record: got %s, want %s", got.ICID, last.ICID)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d after interrupt: %s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tail did not stop")
	}
	select {
	case l := <-lines:
		t.Fatalf("a record printed twice or out of place: %s", l)
	default:
	}
}

// SIGTERM ends it too, with exit 0.
func TestCDRTailSignal(t *testing.T) {
	d, _ := startDaemon(t, testConfig(t))
	lines := make(lineChan, 10)
	var errb bytes.Buffer
	code := make(chan int, 1)
	polled := make(chan struct{})
	go func() {
		code <- execute(context.Background(), []string{"cdr", "tail", "--api", d.APIURL(), "--token", testToken,
			"--interval", "5ms"}, nil, lines, &errb)
	}()
	// The command is running once it prints a record stored after it began.
	go func() {
		for {
			select {
			case <-polled:
				return
			default:
			}
			_ = d.recorder.Emit(tailRecord(0))
			select {
			case <-lines:
				close(polled)
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	select {
	case <-polled:
	case <-time.After(30 * time.Second):
		t.Fatal("tail printed nothing")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d after SIGTERM: %s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tail did not stop on SIGTERM")
	}
}
