package routing

import "maps"

// Table is the release-cause table of SPEC §4.2 with config overrides applied:
// the rows by cause, the map of B's final statuses, and the RTP-timeout rows.
// Every release of a call comes from here (SPEC §4.2: "the table lives in one
// place in the code and is overridable in config"). It is immutable once built
// and safe for concurrent use.
type Table struct {
	byCause  map[Cause]Release
	byStatus map[int]Release // exact B statuses; classes come from bFailureClass
}

// Override replaces the SIP status and Q.850 cause of one cause's row; zero
// fields keep the built-in value.
type Override struct {
	SIPStatus int
	Q850      int
}

// apply returns r with the non-zero fields of o.
func (o Override) apply(r Release) Release {
	if o.SIPStatus != 0 {
		r.SIPStatus = o.SIPStatus
	}
	if o.Q850 != 0 {
		r.Q850 = o.Q850
	}
	return r
}

// BOverride replaces the row of one of B's final statuses (config key
// b_failure): the cause reported, the SIP status and the Q.850 cause sent to
// A. Zero fields keep the built-in value of that status.
type BOverride struct {
	Cause     Cause
	SIPStatus int
	Q850      int
}

// NewTable builds the table from the built-in rows and the overrides.
func NewTable(overrides map[Cause]Override) *Table {
	t := &Table{
		byCause:  make(map[Cause]Release, len(releases)),
		byStatus: maps.Clone(bFailureRows),
	}
	for _, r := range releases {
		t.byCause[r.Cause] = r
	}
	for c, o := range overrides {
		r, ok := t.byCause[c]
		if !ok {
			r = Release{Cause: c, SIPStatus: 500, Q850: 41}
		}
		t.byCause[c] = o.apply(r)
	}
	return t
}

// WithBFailure returns a copy of t whose B-status rows are overridden. An
// override for a status without its own row starts from its class row.
func (t *Table) WithBFailure(overrides map[int]BOverride) *Table {
	n := &Table{byCause: t.byCause, byStatus: maps.Clone(t.byStatus)}
	for status, o := range overrides {
		r := n.bRow(status)
		if o.Cause != 0 {
			r.Cause = o.Cause
		}
		n.byStatus[status] = Override{SIPStatus: o.SIPStatus, Q850: o.Q850}.apply(r)
	}
	return n
}

// For returns the release of a cause; an unknown cause is an internal error.
func (t *Table) For(c Cause) Release {
	if r, ok := t.byCause[c]; ok {
		return r
	}
	r := t.byCause[CauseInternal]
	r.Cause = c
	return r
}

// BFailure maps B's final status and the Q.850 cause of B's Reason header (0
// when B sent none) to the release towards A (SPEC §4.2). The SIP status and
// Q.850 cause towards A always come from the status row: B's Reason only
// decides the cause reported in the CDR and the disconnect event. A cause
// outside 1–127 is no Q.850 cause and is ignored. A status below 300 is no
// failure at all and yields an internal error.
func (t *Table) BFailure(status, reasonQ850 int) Release {
	if status < 300 {
		return t.For(CauseInternal)
	}
	r := t.bRow(status)
	if reasonQ850 >= 1 && reasonQ850 <= 127 {
		r.Cause = CauseRoutingFailure
		if c, ok := q850Causes[reasonQ850]; ok {
			r.Cause = c
		}
	}
	return r
}

// bRow is the row of an exact status, else of its class; statuses of 700 and
// above (not valid SIP, RFC 3261 §7.2) count as 6xx.
func (t *Table) bRow(status int) Release {
	if r, ok := t.byStatus[status]; ok {
		return r
	}
	class := min(status/100, 6)
	if r, ok := bFailureClass[class]; ok {
		return r
	}
	return t.For(CauseInternal) // only for a status below 300
}

// ForRTPTimeout is the release of an answered call whose media stopped on the
// caller's leg (7505) or the callee's (7506): BYE on both legs, Q.850 41.
func (t *Table) ForRTPTimeout(callerSide bool) Release {
	return rtpTimeoutRows[callerSide]
}
