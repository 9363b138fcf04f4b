package main

// The sync hub: a stand-in for SIPp's 3PCC twin peer that lets a callee
// SIPp tell a caller SIPp "the INVITE is here" without any sleep. Both SIPp
// processes run with -3pcc <hub>; each connects to the hub at start. The
// caller's scenario sends a command with "X-Party: uac" once it is waiting;
// the callee's sends one with "X-Party: uas" and the caller's Call-ID when
// the INVITE arrives. The hub forwards the callee's command to the caller,
// whose <recvCmd> then fires (SIPp matches commands to calls by Call-ID).
// Commands are framed by ESC (0x1b), as SIPp's twin socket does. A callee
// command with "X-Party: uas-<event>" goes to the test instead (events).

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
)

type syncHub struct {
	// events gets each callee command whose party is "uas-<event>" (e.g.
	// "answered"), for the test itself.
	events chan string
	ln     net.Listener
	mu     sync.Mutex
	uac    net.Conn
	held   []string // callee commands waiting for the caller to appear
	log    []string
	t      testing.TB
}

func startSyncHub(t testing.TB, ip string) *syncHub {
	t.Helper()
	ln, err := net.Listen("tcp4", ip+":0")
	if err != nil {
		t.Fatalf("sync hub: %v", err)
	}
	h := &syncHub{ln: ln, t: t, events: make(chan string, 16)}
	var conns []net.Conn
	var cmu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for {
			c, err := ln.Accept()
			if err != nil {
				wg.Wait()
				return
			}
			cmu.Lock()
			conns = append(conns, c)
			cmu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); h.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		cmu.Lock()
		for _, c := range conns {
			c.Close()
		}
		cmu.Unlock()
		<-done
		if t.Failed() {
			h.mu.Lock()
			t.Logf("sync hub saw: %q", h.log)
			h.mu.Unlock()
		}
	})
	return h
}

func (h *syncHub) addr() string { return h.ln.Addr().String() }

func (h *syncHub) serve(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		msg, err := r.ReadString(0x1b)
		if err != nil {
			return
		}
		h.mu.Lock()
		h.log = append(h.log, msg)
		switch {
		case strings.Contains(msg, "X-Party: uas-"):
			ev := msg[strings.Index(msg, "X-Party: uas-")+len("X-Party: uas-"):]
			ev = strings.TrimSpace(strings.TrimRight(ev, "\x1b"))
			if i := strings.IndexAny(ev, "\r\n"); i >= 0 {
				ev = ev[:i]
			}
			select {
			case h.events <- ev:
			default:
			}
		case strings.Contains(msg, "X-Party: uac"):
			h.uac = c
			for _, m := range h.held {
				_, _ = c.Write([]byte(m))
			}
			h.held = nil
		case strings.Contains(msg, "X-Party: uas"):
			if h.uac != nil {
				_, _ = h.uac.Write([]byte(msg))
			} else {
				h.held = append(h.held, msg)
			}
		}
		h.mu.Unlock()
	}
}
