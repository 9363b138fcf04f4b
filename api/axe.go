package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axePath is the AXE API of SPEC §5 [HW]: POST bind, PUT modify, GET query,
// DELETE unbind.
const axePath = "/rest/caas/extendnumber/v1.0"

// axeErrs gives the store's failures their AXE codes (SPEC §5).
var axeErrs = errMap{
	{err: store.ErrXNotInApp, code: CodeAXNotInApp, desc: "virtualNum is not an X of this app"},
	{err: store.ErrNoFreeXInArea, code: CodeNoFreeXInArea}, // strict area (noFreeX)
	{err: store.ErrNoFreeX, code: CodeAXNoFreeX, desc: "no free X in this app"},
	{err: store.ErrRecordNotFound, code: CodeRecordNotFound},
	{err: store.ErrExtensionTaken, code: CodeRecordExists, desc: "extendNum already in use on that X"},
	{err: store.ErrPartyExists, code: CodeRecordExists, desc: "bindNum already bound on that X"},
	{err: store.ErrNoFreeExtension, code: CodeNoFreeExtension},
	{err: store.ErrPartyIsX, code: CodeInvalidRequest, desc: "invalid bindNum or callbackNum: is a privacy number of the platform"},
}

// AXE time limits [DESIGN]: at most 90 days, as AXB's duration.
const (
	axeMaxHours   = 2160
	axeMaxMinutes = 129600
)

// axeFields are the fields bind and modify share.
type axeFields struct {
	callbackNum       routing.Number
	hasCallbackNum    bool
	callbackTone      string
	hasCallbackTone   bool
	timeUnit          int
	hasTimeUnit       bool
	bindExpire        int64 // in timeUnit
	hasBindExpire     bool
	callbackExpire    int64 // in timeUnit
	hasCallbackExpire bool
	opts              optFields
}

func (s *Server) readAXEFields(p params, app routing.App) (f axeFields, err error) {
	if f.callbackNum, f.hasCallbackNum, err = s.partyNumber(p, "callbackNum"); err != nil {
		return f, err
	}
	f.hasCallbackTone = p.has("callbackTone")
	if f.callbackTone, err = s.prompt(p, "callbackTone", app); err != nil {
		return f, err
	}
	if f.callbackNum != "" && f.callbackTone != "" {
		return f, fieldErr("callbackNum and callbackTone", "only one may be set")
	}
	if err = displayMode(p, "displayNumMode"); err != nil {
		return f, err
	}
	f.hasTimeUnit = p.has("timeUnit")
	unit, err := p.intIn("timeUnit", routing.TimeUnitHours, routing.TimeUnitHours, routing.TimeUnitMinutes)
	if err != nil {
		return f, err
	}
	f.timeUnit = int(unit)
	limit := int64(axeMaxHours)
	if f.timeUnit == routing.TimeUnitMinutes {
		limit = axeMaxMinutes
	}
	f.hasBindExpire = p.has("bindExpiredTime")
	if f.bindExpire, err = p.intIn("bindExpiredTime", 0, 0, limit); err != nil {
		return f, err
	}
	f.hasCallbackExpire = p.has("callbackExpiredTime")
	if f.callbackExpire, err = p.intIn("callbackExpiredTime", 0, 0, limit); err != nil {
		return f, err
	}
	f.opts, err = s.readOptions(p, app)
	return f, err
}

// extendNum reads an extension: digits only, exactly the app's extension
// length (1–4, SPEC §3). ok=false when absent or empty.
func extendNum(p params, app routing.App) (string, bool, error) {
	e, ok, err := p.str("extendNum")
	if err != nil || !ok || e == "" {
		return "", false, err
	}
	want := app.ExtLen
	if want < 1 || want > maxExtLen {
		want = store.DefaultExtLen
	}
	if len(e) != want || !validExt(e) {
		return "", true, fieldErr("extendNum", "must be %d digits", want)
	}
	return e, true, nil
}

type axeBindAnswer struct {
	SubscriptionID string `json:"subscriptionId"`
	VirtualNum     string `json:"virtualNum"`
	ExtendNum      string `json:"extendNum"`
	BindNum        string `json:"bindNum"`
}

// axeBind is POST: bindNum required; the X is virtualNum, or a free X of
// areaCode, or any X of the app with a free extension [DESIGN]; extendNum,
// or a free one assigned (none → 1020167); callbackNum xor callbackTone.
func (s *Server) axeBind(_ *http.Request, app routing.App, p params) (any, error) {
	a, err := s.requiredParty(p, "bindNum")
	if err != nil {
		return nil, err
	}
	xc, err := s.readXChoice(p, "virtualNum")
	if err != nil {
		return nil, err
	}
	ext, _, err := extendNum(p, app)
	if err != nil {
		return nil, err
	}
	f, err := s.readAXEFields(p, app)
	if err != nil {
		return nil, err
	}
	if f.callbackNum == a {
		return nil, fieldErr("callbackNum", "equals bindNum")
	}
	b, err := s.st.BindAXE(store.AXEBindRequest{
		AppKey: app.Key, XChoice: xc, A: a, Ext: ext,
		CallbackNum: f.callbackNum, CallbackTone: f.callbackTone,
		BindExpiredTime: f.bindExpire, CallbackExpiredTime: f.callbackExpire, TimeUnit: f.timeUnit,
		CallOptions: f.opts.o,
	})
	if err != nil {
		return nil, axeErrs.apply(noFreeX(err, xc))
	}
	s.log.Info("axe bound", "appKey", app.Key, "subscriptionId", b.ID, "x", b.X)
	return axeBindAnswer{SubscriptionID: b.ID, VirtualNum: string(b.X), ExtendNum: b.Ext, BindNum: string(b.A)}, nil
}

// axeTarget finds the binding a modify, query or unbind names:
// subscriptionId, which wins, else virtualNum + extendNum [HW].
func (s *Server) axeTarget(app routing.App, p params) (routing.AXEBinding, error) {
	id, err := subscriptionID(p, false)
	if err != nil {
		return routing.AXEBinding{}, err
	}
	if id != "" {
		b, err := s.st.GetAXE(app.Key, id)
		return b, axeErrs.apply(err)
	}
	x, hasX, err := s.xNumber(p, "virtualNum")
	if err != nil {
		return routing.AXEBinding{}, err
	}
	e, hasE, err := p.str("extendNum")
	if err != nil {
		return routing.AXEBinding{}, err
	}
	if !hasX || !hasE || e == "" {
		return routing.AXEBinding{}, fieldErr("subscriptionId or virtualNum and extendNum", "one is required")
	}
	if !validExt(e) {
		return routing.AXEBinding{}, fieldErr("extendNum", "must be 1-4 digits")
	}
	bs, _, err := s.st.QueryAXE(store.AXEQuery{AppKey: app.Key, X: x, Ext: e})
	if err != nil {
		return routing.AXEBinding{}, axeErrs.apply(err)
	}
	if len(bs) == 0 {
		return routing.AXEBinding{}, ErrRecordNotFound
	}
	return bs[0], nil
}

func validExt(e string) bool {
	if len(e) < 1 || len(e) > maxExtLen {
		return false
	}
	for i := 0; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			return false
		}
	}
	return true
}

// axeModify is PUT: the binding, plus any of bindNum (a new A, unique on X;
// the callback record is dropped), callbackNum, callbackTone (one replaces
// the other), bindExpiredTime and timeUnit (restart the binding's clock, as
// AXB's duration does), callbackExpiredTime (for callers from now on), and
// the call settings (maxDuration, recordFlag, recordHintTone, lastMinVoice,
// privateSms, preVoice, userData).
func (s *Server) axeModify(_ *http.Request, app routing.App, p params) (any, error) {
	a, hasA, err := s.partyNumber(p, "bindNum")
	if err != nil {
		return nil, err
	}
	f, err := s.readAXEFields(p, app)
	if err != nil {
		return nil, err
	}
	b, err := s.axeTarget(app, p)
	if err != nil {
		return nil, err
	}
	_, err = s.st.ModifyAXE(app.Key, b.ID, func(b *routing.AXEBinding) error {
		if hasA {
			b.A = a
		}
		return applyAXEFields(b, f)
	})
	if err != nil {
		return nil, axeErrs.apply(err)
	}
	s.log.Info("axe modified", "appKey", app.Key, "subscriptionId", b.ID)
	return nil, nil
}

// applyAXEFields changes b as a modify's fields say. Times are read in the
// request's timeUnit (default: the binding's); a new unit re-expresses the
// stored time not sent, which must then be whole in it [DESIGN].
func applyAXEFields(b *routing.AXEBinding, f axeFields) error {
	if f.callbackNum != "" && f.callbackNum == b.A {
		return fieldErr("callbackNum", "equals bindNum")
	}
	if f.hasCallbackNum {
		b.CallbackNum, b.CallbackTone = f.callbackNum, ""
	}
	if f.hasCallbackTone {
		b.CallbackTone = f.callbackTone
		if f.callbackTone != "" {
			b.CallbackNum = ""
		}
	}
	if f.hasTimeUnit && f.timeUnit != b.TimeUnit {
		var err error
		if !f.hasBindExpire {
			if b.BindExpiredTime, err = convertUnit(b.BindExpiredTime, b.TimeUnit, f.timeUnit, "bindExpiredTime"); err != nil {
				return err
			}
		}
		if !f.hasCallbackExpire {
			if b.CallbackExpiredTime, err = convertUnit(b.CallbackExpiredTime, b.TimeUnit, f.timeUnit, "callbackExpiredTime"); err != nil {
				return err
			}
		}
		b.TimeUnit = f.timeUnit
	}
	if f.hasBindExpire {
		b.BindExpiredTime, b.Expires = f.bindExpire, time.Time{} // zero Expires: restart the clock
	}
	if f.hasCallbackExpire {
		b.CallbackExpiredTime = f.callbackExpire
	}
	f.opts.apply(&b.CallOptions)
	return nil
}

// convertUnit re-expresses v from one time unit in the other.
func convertUnit(v int64, from, to int, field string) (int64, error) {
	if from == routing.TimeUnitHours && to == routing.TimeUnitMinutes {
		return v * 60, nil
	}
	if v%60 != 0 {
		return 0, fieldErr("timeUnit", "the stored %s is no whole number of hours; send it too", field)
	}
	return v / 60, nil
}

// axeQueryAnswer is one binding's fields [HW: flat, not a list].
type axeQueryAnswer struct {
	SubscriptionID      string `json:"subscriptionId"`
	VirtualNum          string `json:"virtualNum"`
	ExtendNum           string `json:"extendNum"`
	BindNum             string `json:"bindNum"`
	DisplayNumMode      string `json:"displayNumMode"`
	RecordFlag          string `json:"recordFlag"` // [HW] "true"/"false"
	RecordHintTone      string `json:"recordHintTone"`
	CallbackTone        string `json:"callbackTone"`
	CallbackNum         string `json:"callbackNum"`
	TimeUnit            string `json:"timeUnit"`
	BindExpiredTime     int64  `json:"bindExpiredTime"`
	CallbackExpiredTime int64  `json:"callbackExpiredTime"`
	MaxDuration         int    `json:"maxDuration"`
	LastMinVoice        string `json:"lastMinVoice"`
	PrivateSMS          bool   `json:"privateSms"`
	SubscribeTime       string `json:"subscribeTime"`
	UserData            string `json:"userData"`
}

// axeQuery is GET: subscriptionId, or virtualNum + extendNum.
func (s *Server) axeQuery(_ *http.Request, app routing.App, p params) (any, error) {
	b, err := s.axeTarget(app, p)
	if err != nil {
		return nil, err
	}
	return axeQueryAnswer{
		SubscriptionID: b.ID, VirtualNum: string(b.X), ExtendNum: b.Ext, BindNum: string(b.A),
		DisplayNumMode: "0", RecordFlag: strconv.FormatBool(b.RecordFlag), RecordHintTone: b.RecordHintTone,
		CallbackTone: b.CallbackTone, CallbackNum: string(b.CallbackNum), TimeUnit: strconv.Itoa(b.TimeUnit),
		BindExpiredTime: b.BindExpiredTime, CallbackExpiredTime: b.CallbackExpiredTime,
		MaxDuration: b.MaxDuration, LastMinVoice: b.LastMinVoice, PrivateSMS: b.PrivateSMS,
		SubscribeTime: cdr.FormatTime(b.Created), UserData: b.UserData,
	}, nil
}

// axeUnbind is DELETE: subscriptionId, or virtualNum + extendNum. Nothing to
// unbind (also the second time) is 1016001.
func (s *Server) axeUnbind(_ *http.Request, app routing.App, p params) (any, error) {
	b, err := s.axeTarget(app, p)
	if err != nil {
		return nil, err
	}
	if err := s.st.UnbindAXE(app.Key, b.ID); err != nil {
		return nil, axeErrs.apply(err)
	}
	s.log.Info("axe unbound", "appKey", app.Key, "subscriptionId", b.ID)
	return nil, nil
}
