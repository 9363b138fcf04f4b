package store

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

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
