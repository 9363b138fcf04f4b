package sip

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// rfcT4 is RFC 3261's T4, the longest a message stays in the network
// (Timers I and K over UDP); xnum has no setting for it.
const rfcT4 = 5 * time.Second

// SetStackTimers makes sipgo's transaction timers follow t1 (sip.t1): INVITE
// and request retransmissions (Timers A, E, G) start at t1 and double to
// T2 = 8·t1, and the transaction timeouts and the Completed/Accepted waits
// (B, F, H, J, L, M) are 64·t1, as RFC 3261 §17 and RFC 6026 derive them.
// Without it they stay at sipgo's defaults (T1 500 ms) whatever sip.t1 says.
//
// The timers are sipgo's package variables, so this is process-wide and must
// run before any server starts and never concurrently with one: the daemon
// (`xnum serve`, one server a process) calls it once. Servers built in tests
// and embedders that run several servers in one process leave it alone, and
// their sip.t1 then governs xnum's own timers only (docs/SIP.md "Timers").
func SetStackTimers(t1 time.Duration) {
	if t1 <= 0 {
		t1 = defaultT1
	}
	sip.SetTimers(t1, 8*t1, rfcT4)
}
