package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawUA is a bare UDP SIP endpoint on loopback: enough to hold one call open
// through xnum while the daemon drains, without any SIP library.
type rawUA struct {
	t    *testing.T
	conn *net.UDPConn
}

func newRawUA(t *testing.T) *rawUA {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawUA{t: t, conn: c}
}

func (u *rawUA) addr() string { return u.conn.LocalAddr().String() }

func (u *rawUA) send(to string, msg string) {
	u.t.Helper()
	ra, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		u.t.Fatal(err)
	}
	if _, err := u.conn.WriteToUDP([]byte(msg), ra); err != nil {
		u.t.Fatal(err)
	}
}

// rawMsg is a received message: first line, headers by lower-case name
// (first value), and where it came from.
type rawMsg struct {
	first string
	hdr   map[string]string
	vias  []string
	from  string
}

// recv waits for the next message whose first line contains want (other
// messages, e.g. 100 Trying or retransmissions, are skipped).
func (u *rawUA) recv(want string) rawMsg {
	u.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	buf := make([]byte, 65535)
	for {
		if err := u.conn.SetReadDeadline(deadline); err != nil {
			u.t.Fatal(err)
		}
		n, from, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			u.t.Fatalf("%s: waiting for %q: %v", u.addr(), want, err)
		}
		head, _, _ := strings.Cut(string(buf[:n]), "\r\n\r\n")
		lines := strings.Split(head, "\r\n")
		m := rawMsg{first: lines[0], hdr: map[string]string{}, from: from.String()}
		for _, l := range lines[1:] {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			if k == "via" || k == "v" {
				m.vias = append(m.vias, v)
			}
			if _, dup := m.hdr[k]; !dup {
				m.hdr[k] = v
			}
		}
		if strings.Contains(m.first, want) {
			return m
		}
	}
}

// recvFinal waits for the final response (≥ 200) of the call callID.
func (u *rawUA) recvFinal(callID string) rawMsg {
	u.t.Helper()
	for {
		m := u.recv("SIP/2.0 ")
		if m.hdr["call-id"] == callID && !strings.HasPrefix(m.first, "SIP/2.0 1") {
			return m
		}
	}
}

// reply answers a request with status, adding a To tag.
func (u *rawUA) reply(req rawMsg, status string) {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %s\r\n", status)
	for _, v := range req.vias {
		fmt.Fprintf(&b, "Via: %s\r\n", v)
	}
	to := req.hdr["to"]
	if !strings.Contains(to, ";tag=") {
		to += ";tag=b-leg"
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
		req.hdr["from"], to, req.hdr["call-id"], req.hdr["cseq"])
	u.send(req.from, b.String())
}

// invite sends an INVITE without SDP (late offer) from user to X at xnum.
func (u *rawUA) invite(xnum, user, x, callID string) {
	u.send(xnum, fmt.Sprintf("INVITE sip:%s@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@127.0.0.1>;tag=a-%s\r\n"+
		"To: <sip:%s@%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 1 INVITE\r\n"+
		"Contact: <sip:%s@%s>\r\n"+
		"Content-Length: 0\r\n\r\n",
		x, xnum, u.addr(), callID, user, callID, x, xnum, callID, user, u.addr()))
}

// ack acknowledges a non-2xx final response to an INVITE (RFC 3261 §17.1.1.3).
func (u *rawUA) ack(xnum, x, callID string, res rawMsg) {
	u.send(xnum, fmt.Sprintf("ACK sip:%s@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		x, xnum, u.addr(), callID, res.hdr["from"], res.hdr["to"], callID))
}

// TestDrainOnShutdown: cancelling run's context (what SIGTERM does) drains:
// /healthz turns 503, a new INVITE gets 503, the call in progress goes on
// until it ends by itself, and then run returns cleanly.
func TestDrainOnShutdown(t *testing.T) {
	caller, callee := newRawUA(t), newRawUA(t)
	cfg := testConfig(t)
	cfg.Trunk.Outbound = callee.addr()
	cfg.SIP.DrainTimeout = 5 * time.Minute // the call must end by itself, not by the timer
	d, stop := startDaemon(t, cfg)
	xnum := d.sip.Addr()

	// A call A → X → B, ringing at B.
	caller.invite(xnum, "13800000001", "17000000000", "drain-call-1")
	bInvite := callee.recv("INVITE")
	if !strings.Contains(bInvite.first, "8613800000002") {
		t.Fatalf("B leg Request-URI %q is not B", bInvite.first)
	}
	callee.reply(bInvite, "180 Ringing")
	caller.recv("180")

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	// Draining: the health check says so …
	for {
		code, _ := get(t, d.APIURL()+"/healthz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if code != http.StatusOK {
			t.Fatalf("/healthz = %d while draining", code)
		}
	}
	// … and new INVITEs are refused with 503 (a stranger's call would get
	// 403 while xnum still takes calls, so a 403 means "not yet draining").
	stranger := newRawUA(t)
	for i := 0; ; i++ {
		id := fmt.Sprintf("drain-new-%d", i)
		stranger.invite(xnum, "13800000009", "17000000000", id)
		res := stranger.recvFinal(id)
		stranger.ack(xnum, "17000000000", id, res)
		if strings.Contains(res.first, "503") {
			break
		}
		if !strings.Contains(res.first, "403") || i > 50 {
			t.Fatalf("new INVITE while draining: %q, want 503", res.first)
		}
	}

	select {
	case err := <-stopped:
		t.Fatalf("run returned (%v) while a call was still up", err)
	default:
	}

	// B ends the call: busy. A gets 486; the last call is gone and run ends.
	callee.reply(bInvite, "486 Busy Here")
	res := caller.recv("486")
	caller.ack(xnum, "17000000000", "drain-call-1", res)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the last call ended")
	}
}
