package routing

// Table is the release-cause table of SPEC §4.2 with config overrides applied.
// It is immutable after NewTable and safe for concurrent use.
type Table struct {
	byCause map[Cause]Release
}

// Override replaces the SIP status and Q.850 cause of one cause's row; zero
// fields keep the built-in value.
type Override struct {
	SIPStatus int
	Q850      int
}

// NewTable builds the table from the built-in rows and the overrides.
func NewTable(overrides map[Cause]Override) *Table {
	t := &Table{byCause: make(map[Cause]Release, len(releases))}
	for _, r := range releases {
		t.byCause[r.Cause] = r
	}
	for c, o := range overrides {
		r, ok := t.byCause[c]
		if !ok {
			r = Release{Cause: c, SIPStatus: 500, Q850: 41}
		}
		if o.SIPStatus != 0 {
			r.SIPStatus = o.SIPStatus
		}
		if o.Q850 != 0 {
			r.Q850 = o.Q850
		}
		t.byCause[c] = r
	}
	return t
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
