package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axPath is the AX API of SPEC §5 [HW]: POST bind, PUT modify, GET query,
// DELETE unbind. The temporary callee has its own path (ax_callee.go).
const axPath = "/rest/provision/caas/privatenumber/v1.0"

// axErrs gives the store's failures their AX codes (SPEC §5): an X of
// another app is 1011001, no free X 1011002 (1012008 for a strict area,
// noFreeX), no such binding 1016001.
var axErrs = errMap{
	{err: store.ErrXNotInApp, code: CodeAXNotInApp, desc: "privateNum is not an X of this app"},
	{err: store.ErrNoFreeXInArea, code: CodeNoFreeXInArea},
	{err: store.ErrNoFreeX, code: CodeAXNoFreeX, desc: "no free X in this app"},
	{err: store.ErrRecordNotFound, code: CodeRecordNotFound},
	{err: store.ErrXHasA, code: CodeAXHasA},
	{err: store.ErrATooManyX, code: CodeAXTooManyX},
	{err: store.ErrPartyIsX, code: CodeInvalidRequest, desc: "invalid origNum: is a privacy number of the platform"},
}

// readAXFields reads origNum and the settings bind and modify share, in a
// fixed order so the field an answer names is reproducible.
func (s *Server) readAXFields(p params, app routing.App) (a routing.Number, hasA bool, f optFields, err error) {
	if a, hasA, err = s.partyNumber(p, "origNum"); err != nil {
		return
	}
	if _, _, err = p.str("privateNumType"); err != nil { // [HW] always "mobile-virtual"; not used
		return
	}
	if err = displayMode(p, "calleeNumDisplay"); err != nil {
		return
	}
	f, err = s.readOptions(p, app)
	return
}

type axBindAnswer struct {
	SubscriptionID string `json:"subscriptionId"`
	OrigNum        string `json:"origNum"`
	PrivateNum     string `json:"privateNum"`
}

// axBind is POST: origNum required; the X is privateNum, or a free X of
// areaCode by areaMatchMode, or any free X of the app [DESIGN]; duration as
// AXB's (seconds, 0 = never [DESIGN]); the call settings of every mode. One
// X holds one A (1011005) and one A at most 5 X (1011003) (SPEC §3).
func (s *Server) axBind(_ *http.Request, app routing.App, p params) (any, error) {
	a, hasA, f, err := s.readAXFields(p, app)
	if err != nil {
		return nil, err
	}
	if !hasA {
		return nil, fieldErr("origNum", "required")
	}
	xc, err := s.readXChoice(p, "privateNum")
	if err != nil {
		return nil, err
	}
	dur, err := p.intIn("duration", 0, 0, 0, minDuration, maxDuration)
	if err != nil {
		return nil, err
	}
	if err := s.checkAXNumber(xc.X); err != nil {
		return nil, err
	}
	b, err := s.st.BindAX(store.AXBindRequest{AppKey: app.Key, XChoice: xc, A: a, Duration: dur, CallOptions: f.o})
	if err != nil {
		return nil, axErrs.apply(noFreeX(err, xc))
	}
	s.log.Info("ax bound", "appKey", app.Key, "subscriptionId", b.ID, "x", b.X)
	return axBindAnswer{SubscriptionID: b.ID, OrigNum: string(b.A), PrivateNum: string(b.X)}, nil
}

// checkAXNumber answers 1011004 for a privateNum that is no X of the
// platform at all; one of another app is the store's 1011001.
func (s *Server) checkAXNumber(x routing.Number) error {
	if x == "" {
		return nil
	}
	isX, err := s.st.IsX(x)
	if err != nil {
		return fmt.Errorf("is x: %w", err)
	}
	if !isX {
		return ErrAXNotX
	}
	return nil
}

// axTarget reads how a modify, unbind or temporary-callee request names its
// binding: subscriptionId, which wins, else privateNum [HW].
func (s *Server) axTarget(p params) (id string, x routing.Number, err error) {
	if id, err = subscriptionID(p, false); err != nil || id != "" {
		return id, "", err
	}
	x, ok, err := s.xNumber(p, "privateNum")
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", fieldErr("subscriptionId or privateNum", "one is required")
	}
	return "", x, s.checkAXNumber(x)
}

// axFind returns the live binding a request names (axTarget).
func (s *Server) axFind(app routing.App, p params) (routing.AXBinding, error) {
	id, x, err := s.axTarget(p)
	if err != nil {
		return routing.AXBinding{}, err
	}
	if id != "" {
		b, err := s.st.GetAX(app.Key, id)
		return b, axErrs.apply(err)
	}
	bs, _, err := s.st.QueryAX(store.AXQuery{AppKey: app.Key, X: x}) // one X has one A
	if err != nil {
		return routing.AXBinding{}, axErrs.apply(err)
	}
	if len(bs) == 0 {
		return routing.AXBinding{}, ErrRecordNotFound
	}
	return bs[0], nil
}

// axModify is PUT: the binding by subscriptionId or privateNum, plus any of
// origNum (a new A), duration (restarts the clock, as AXB's), maxDuration,
// recordFlag, recordHintTone, lastMinVoice, privateSms, preVoice, userData.
func (s *Server) axModify(_ *http.Request, app routing.App, p params) (any, error) {
	a, hasA, f, err := s.readAXFields(p, app)
	if err != nil {
		return nil, err
	}
	hasDur := p.has("duration")
	dur, err := p.intIn("duration", 0, 0, 0, minDuration, maxDuration)
	if err != nil {
		return nil, err
	}
	b, err := s.axFind(app, p)
	if err != nil {
		return nil, err
	}
	_, err = s.st.ModifyAX(app.Key, b.ID, func(b *routing.AXBinding) error {
		if hasA {
			b.A = a
		}
		if hasDur {
			b.Duration, b.Expires = dur, time.Time{} // zero Expires: restart the clock
		}
		f.apply(&b.CallOptions)
		return nil
	})
	if err != nil {
		return nil, axErrs.apply(err)
	}
	s.log.Info("ax modified", "appKey", app.Key, "subscriptionId", b.ID)
	return nil, nil
}

// axItem is one AX binding as the query shows it.
type axItem struct {
	SubscriptionID   string           `json:"subscriptionId"`
	OrigNum          string           `json:"origNum"`
	PrivateNum       string           `json:"privateNum"`
	PrivateNumType   string           `json:"privateNumType"`
	Duration         int64            `json:"duration"`
	CalleeNumDisplay string           `json:"calleeNumDisplay"`
	MaxDuration      int              `json:"maxDuration"`
	RecordFlag       bool             `json:"recordFlag"`
	RecordHintTone   string           `json:"recordHintTone"`
	LastMinVoice     string           `json:"lastMinVoice"`
	PrivateSMS       bool             `json:"privateSms"`
	PreVoice         routing.PreVoice `json:"preVoice"`
	SubscribeTime    string           `json:"subscribeTime"` // yyyy-MM-dd HH:mm:ss UTC
	UserData         string           `json:"userData"`
}

func axItemOf(b routing.AXBinding) axItem {
	return axItem{
		SubscriptionID: b.ID, OrigNum: string(b.A), PrivateNum: string(b.X),
		PrivateNumType: "mobile-virtual", CalleeNumDisplay: "0", Duration: b.Duration,
		MaxDuration: b.MaxDuration, RecordFlag: b.RecordFlag, RecordHintTone: b.RecordHintTone,
		LastMinVoice: b.LastMinVoice, PrivateSMS: b.PrivateSMS, PreVoice: b.PreVoice,
		SubscribeTime: cdr.FormatTime(b.Created), UserData: b.UserData,
	}
}

// axQueryAnswer lists the bindings found; when exactly one matches, its
// fields are also given at the top level, as single-binding clients read
// them [DESIGN].
type axQueryAnswer struct {
	TotalCount     int      `json:"totalCount"`
	PrivateNumList []axItem `json:"privateNumList"`
	*axItem
}

// axQuery is GET: subscriptionId, else origNum (up to 5 bindings), else
// privateNum [HW precedence].
func (s *Server) axQuery(_ *http.Request, app routing.App, p params) (any, error) {
	var bs []routing.AXBinding
	id, err := subscriptionID(p, false)
	if err != nil {
		return nil, err
	}
	var a routing.Number
	if id == "" {
		if a, _, err = s.partyNumber(p, "origNum"); err != nil {
			return nil, err
		}
	}
	switch {
	case a != "":
		if bs, _, err = s.st.QueryAX(store.AXQuery{AppKey: app.Key, A: a}); err != nil {
			return nil, axErrs.apply(err)
		}
		if len(bs) == 0 {
			return nil, ErrRecordNotFound
		}
	default:
		b, err := s.axFind(app, p)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	ans := axQueryAnswer{TotalCount: len(bs), PrivateNumList: make([]axItem, 0, len(bs))}
	for _, b := range bs {
		ans.PrivateNumList = append(ans.PrivateNumList, axItemOf(b))
	}
	if len(bs) == 1 {
		ans.axItem = &ans.PrivateNumList[0]
	}
	return ans, nil
}

// axUnbind is DELETE: subscriptionId, which wins, else privateNum; origNum
// is not read [HW]. Nothing to unbind (also the second time) is 1016001.
func (s *Server) axUnbind(_ *http.Request, app routing.App, p params) (any, error) {
	id, x, err := s.axTarget(p)
	if err != nil {
		return nil, err
	}
	if id != "" {
		err = s.st.UnbindAX(app.Key, id)
	} else {
		var b routing.AXBinding
		b, err = s.st.UnbindAXByX(app.Key, x)
		id = b.ID
	}
	if err != nil {
		return nil, axErrs.apply(err)
	}
	s.log.Info("ax unbound", "appKey", app.Key, "subscriptionId", id)
	return nil, nil
}
