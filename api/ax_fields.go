package api

import (
	"errors"

	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// Field readers and error mapping shared by the AX, AXE and AXYB APIs
// (SPEC §5). The AXB API's readers (validate.go) are reused where the rule is
// the same: partyNumber for every real number, prompt for every prompt name.

// requiredParty is partyNumber with absence as a 1010002.
func (s *Server) requiredParty(p params, k string) (routing.Number, error) {
	n, ok, err := s.partyNumber(p, k)
	if err == nil && !ok {
		err = fieldErr(p.name(k), "required")
	}
	return n, err
}

// displayMode reads the vendor's "who does A see" switch (AX
// calleeNumDisplay, AXE displayNumMode): 0 X, 1 the real caller. It is
// validated and not stored: xnum always shows X (SPEC §3) [DESIGN].
func displayMode(p params, k string) error {
	_, err := p.intIn(k, 0, 0, 1)
	return err
}

// readXChoice reads how a bind names its X: the field k (privateNum,
// virtualNum), or areaCode with areaMatchMode, or neither (any free X of the
// app [DESIGN]); k wins over areaCode, as relationNum does for AXB.
func (s *Server) readXChoice(p params, k string) (store.XChoice, error) {
	var c store.XChoice
	var err error
	if c.X, _, err = s.xNumber(p, k); err != nil {
		return c, err
	}
	if c.AreaCode, _, err = areaCode(p, "areaCode"); err != nil {
		return c, err
	}
	m, err := p.intIn("areaMatchMode", store.AreaStrict, store.AreaStrict, store.AreaPreferred)
	if err != nil {
		return c, err
	}
	c.AreaMatchMode = int(m)
	if c.X != "" {
		c.AreaCode, c.AreaMatchMode = "", 0
	}
	return c, nil
}

// preVoice reads the optional preVoice object; has* tell which members were
// sent.
func (s *Server) preVoice(p params, app routing.App) (pv routing.PreVoice, hasCaller, hasCallee bool, err error) {
	obj, _, err := p.object("preVoice")
	if err != nil || obj.m == nil {
		return pv, false, false, err
	}
	hasCaller, hasCallee = obj.has("callerHintTone"), obj.has("calleeHintTone")
	if pv.CallerHintTone, err = s.prompt(obj, "callerHintTone", app); err != nil {
		return pv, false, false, err
	}
	if pv.CalleeHintTone, err = s.prompt(obj, "calleeHintTone", app); err != nil {
		return pv, false, false, err
	}
	return pv, hasCaller, hasCallee, nil
}

// recordFlag reads recordFlag and refuses it for an app without recording
// (1012012).
func recordFlag(p params, app routing.App) (bool, bool, error) {
	v, ok, err := p.boolean("recordFlag")
	if err == nil && v && !app.Recording {
		err = ErrRecordingDisabled
	}
	return v, ok, err
}

// noFreeX words the store's "no free X" for the AX, AXE and AXYB APIs
// (issue 4 item 5, SPEC §5): a strict areaCode (areaMatchMode 0) that finds
// nothing is the area's miss, 1012008 as for AXB; areaMatchMode 1 falls back
// to every X of the app, so its miss means no free X at all, 1011002, as
// does a bind that names no area.
func noFreeX(err error, c store.XChoice) error {
	if errors.Is(err, store.ErrNoFreeXInArea) && c.AreaMatchMode != store.AreaStrict {
		return store.ErrNoFreeX
	}
	return err
}

// errMap gives a store sentinel a mode's own result code: the same store
// failure (an X of another app, no record) answers differently per mode
// (SPEC §5 code table). Entries are tried in order, before mapStoreErr.
type errMap []struct {
	err  error
	code Code
	desc string // "" = the code's description
}

// apply returns err with the code of its first matching entry; other errors
// pass through unchanged (mapStoreErr handles them in reply).
func (m errMap) apply(err error) error {
	if err == nil {
		return nil
	}
	var c coder
	if errors.As(err, &c) {
		return err
	}
	for _, e := range m {
		if e.err != nil && errors.Is(err, e.err) {
			desc := e.desc
			if desc == "" {
				desc = e.code.Desc()
			}
			return newError(e.code, desc)
		}
	}
	return err
}

// Sentinels of the new modes that the API raises itself.
var (
	ErrRecordNotFound = newError(CodeRecordNotFound, "record not found")
	ErrAXNotInApp     = newError(CodeAXNotInApp, "privateNum is an X of another app")
	ErrAXNotX         = newError(CodeAXNotInAppAlt, "privateNum is no X of the platform")
)

// optFields are the call settings every mode's bind and modify accept
// (routing.CallOptions, SPEC §5), with has* telling which were sent.
type optFields struct {
	o                 routing.CallOptions
	hasMaxDuration    bool
	hasRecordFlag     bool
	hasRecordHintTone bool
	hasLastMinVoice   bool
	hasPrivateSMS     bool
	hasCallerHint     bool
	hasCalleeHint     bool
	hasUserData       bool
}

// readOptions validates the call settings in a fixed order.
func (s *Server) readOptions(p params, app routing.App) (f optFields, err error) {
	f.hasMaxDuration = p.has("maxDuration")
	md, err := p.intIn("maxDuration", 0, 0, maxMaxDuration)
	if err != nil {
		return f, err
	}
	f.o.MaxDuration = int(md)
	if f.o.RecordFlag, f.hasRecordFlag, err = recordFlag(p, app); err != nil {
		return f, err
	}
	f.hasRecordHintTone = p.has("recordHintTone")
	if f.o.RecordHintTone, err = s.prompt(p, "recordHintTone", app); err != nil {
		return f, err
	}
	f.hasLastMinVoice = p.has("lastMinVoice")
	if f.o.LastMinVoice, err = s.prompt(p, "lastMinVoice", app); err != nil {
		return f, err
	}
	if f.o.PrivateSMS, f.hasPrivateSMS, err = p.boolean("privateSms"); err != nil {
		return f, err
	}
	if f.o.PreVoice, f.hasCallerHint, f.hasCalleeHint, err = s.preVoice(p, app); err != nil {
		return f, err
	}
	if f.o.UserData, f.hasUserData, err = userData(p); err != nil {
		return f, err
	}
	return f, nil
}

// apply sets the settings that were sent on o (modify); inside preVoice only
// the members sent change.
func (f optFields) apply(o *routing.CallOptions) {
	if f.hasMaxDuration {
		o.MaxDuration = f.o.MaxDuration
	}
	if f.hasRecordFlag {
		o.RecordFlag = f.o.RecordFlag
	}
	if f.hasRecordHintTone {
		o.RecordHintTone = f.o.RecordHintTone
	}
	if f.hasLastMinVoice {
		o.LastMinVoice = f.o.LastMinVoice
	}
	if f.hasPrivateSMS {
		o.PrivateSMS = f.o.PrivateSMS
	}
	if f.hasCallerHint {
		o.PreVoice.CallerHintTone = f.o.PreVoice.CallerHintTone
	}
	if f.hasCalleeHint {
		o.PreVoice.CalleeHintTone = f.o.PreVoice.CalleeHintTone
	}
	if f.hasUserData {
		o.UserData = f.o.UserData
	}
}
