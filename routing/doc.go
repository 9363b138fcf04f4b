// Package routing owns the pure decisions of xnum: the number plan that turns
// whatever a trunk sends into E.164, the routing rules of each mode (SPEC §3;
// MODES.md: the AXE and X-mode steps), the area code → province table,
// and the one table of release causes, SIP statuses and Q.850 causes (SPEC §4.2).
//
// It knows nothing of SIP, HTTP or Pebble: callers hand it plain values and a
// small Lookup, and act on the Decision it returns.
package routing
