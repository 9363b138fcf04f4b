// Package sip is xnum's signalling plane: a back-to-back user agent (B2BUA)
// on sipgo that turns each INVITE to an X number into a plain routing.Call,
// asks routing.Decide what to do, and carries the decision out — a final
// response towards the caller (SPEC §4.2), or a second, independent call
// towards the callee trunk that is bridged to the first (SPEC §4.1).
//
// What the package owns:
//   - the listeners (UDP and TCP on sip.listen, sources filtered by
//     trunk.allowed_sources) and the dispatch of every request, with panic
//     recovery (dispatch.go, listen.go);
//   - who the caller is and which X was dialled (identity.go, SPEC §2.1);
//   - the B leg built from a whitelist, never from a copy of the A leg, and
//     the same whitelist for what travels back (bleg.go, sdp.go);
//   - one owner per call: every A-leg request, B-leg response and timer of a
//     call goes through that call's event loop (call*.go), so call state has
//     no locks; the dialog registry maps in-dialog requests to their call
//     (dialog.go);
//   - one CDR per attempt (cdr.go) and the call metrics (metrics.go);
//   - draining on SIGTERM (drain.go).
//
// What crosses from one leg to the other, and the choices made where the
// SPEC is silent, are written down in docs/SIP.md.
package sip
