package api

import (
	"net/http"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axbPath is the AXB API of SPEC §5 [HW]: POST bind, PUT modify, GET query,
// DELETE unbind.
const axbPath = "/rest/caas/relationnumber/partners/v1.0"

// axbFields are the binding fields shared by bind and modify (SPEC §5),
// read and validated before anything is stored; has* tell which were sent.
type axbFields struct {
	a, b                 routing.Number
	hasA, hasB           bool
	direction            int64
	hasDirection         bool
	duration             int64
	hasDuration          bool
	maxDuration          int64
	hasMaxDuration       bool
	recordFlag           bool
	hasRecordFlag        bool
	lastMinVoice         string
	hasLastMinVoice      bool
	preVoice             routing.PreVoice
	hasCaller, hasCallee bool // preVoice members sent
	userData             string
	hasUserData          bool
}

// readAXBFields validates the shared fields in a fixed order, so the field an
// answer names is reproducible.
func (s *Server) readAXBFields(p params, app routing.App) (f axbFields, err error) {
	if f.a, f.hasA, err = s.partyNumber(p, "callerNum"); err != nil {
		return f, err
	}
	if f.b, f.hasB, err = s.partyNumber(p, "calleeNum"); err != nil {
		return f, err
	}
	if f.hasA && f.hasB && f.a == f.b {
		return f, fieldErr("calleeNum", "equals callerNum")
	}
	f.hasDirection = p.has("callDirection")
	if f.direction, err = p.intIn("callDirection", 0, 0, 2); err != nil {
		return f, err
	}
	f.hasDuration = p.has("duration")
	if f.duration, err = p.intIn("duration", 0, 0, 0, minDuration, maxDuration); err != nil {
		return f, err
	}
	f.hasMaxDuration = p.has("maxDuration")
	if f.maxDuration, err = p.intIn("maxDuration", 0, 0, maxMaxDuration); err != nil {
		return f, err
	}
	if f.recordFlag, f.hasRecordFlag, err = p.boolean("recordFlag"); err != nil {
		return f, err
	}
	f.hasLastMinVoice = p.has("lastMinVoice")
	if f.lastMinVoice, err = s.prompt(p, "lastMinVoice", app); err != nil {
		return f, err
	}
	pv, _, err := p.object("preVoice")
	if err != nil {
		return f, err
	}
	if pv.m != nil {
		f.hasCaller, f.hasCallee = pv.has("callerHintTone"), pv.has("calleeHintTone")
		if f.preVoice.CallerHintTone, err = s.prompt(pv, "callerHintTone", app); err != nil {
			return f, err
		}
		if f.preVoice.CalleeHintTone, err = s.prompt(pv, "calleeHintTone", app); err != nil {
			return f, err
		}
	}
	if f.userData, f.hasUserData, err = userData(p); err != nil {
		return f, err
	}
	return f, nil
}

type bindAnswer struct {
	SubscriptionID string `json:"subscriptionId"`
	RelationNum    string `json:"relationNum"`
}

// axbBind is POST: callerNum and calleeNum required; the X is relationNum
// (which wins when areaCode is sent too), or a free X of areaCode by
// areaMatchMode, or any free X of the app [DESIGN].
func (s *Server) axbBind(_ *http.Request, app routing.App, p params) (any, error) {
	f, err := s.readAXBFields(p, app)
	if err != nil {
		return nil, err
	}
	switch {
	case !f.hasA:
		return nil, fieldErr("callerNum", "required")
	case !f.hasB:
		return nil, fieldErr("calleeNum", "required")
	}
	req := store.BindRequest{
		AppKey: app.Key, A: f.a, B: f.b,
		Direction: int(f.direction), Duration: f.duration, MaxDuration: int(f.maxDuration),
		RecordFlag: f.recordFlag, LastMinVoice: f.lastMinVoice, PreVoice: f.preVoice, UserData: f.userData,
	}
	// relationNum wins over areaCode: the store picks by area only without X.
	if req.X, _, err = s.xNumber(p, "relationNum"); err != nil {
		return nil, err
	}
	if req.AreaCode, _, err = areaCode(p, "areaCode"); err != nil {
		return nil, err
	}
	mode, err := p.intIn("areaMatchMode", store.AreaStrict, store.AreaStrict, store.AreaPreferred)
	if err != nil {
		return nil, err
	}
	req.AreaMatchMode = int(mode)
	if req.RecordHintTone, err = s.prompt(p, "recordHintTone", app); err != nil {
		return nil, err
	}
	if req.PrivateSMS, _, err = p.boolean("privateSms"); err != nil {
		return nil, err
	}
	if req.RecordFlag && !app.Recording {
		return nil, ErrRecordingDisabled
	}
	b, err := s.st.BindAXB(req)
	if err != nil {
		return nil, err
	}
	s.log.Info("axb bound", "appKey", app.Key, "subscriptionId", b.ID, "x", b.X)
	return bindAnswer{SubscriptionID: b.ID, RelationNum: string(b.X)}, nil
}

// axbModify is PUT: subscriptionId plus any of callerNum, calleeNum,
// callDirection, duration, maxDuration, recordFlag, lastMinVoice, preVoice,
// userData (SPEC §5). Sending duration restarts the expiry clock (SPEC §3).
// recordHintTone is a bind-only field: SPEC §5's modify list and the
// vendor's table of AXB fields that can be modified both leave it out, so a
// PUT carrying it is 1010002 rather than half-applied in silence.
func (s *Server) axbModify(_ *http.Request, app routing.App, p params) (any, error) {
	id, err := subscriptionID(p, true)
	if err != nil {
		return nil, err
	}
	if p.has("recordHintTone") {
		return nil, fieldErr("recordHintTone", "cannot be modified: set at bind only (SPEC §5)")
	}
	f, err := s.readAXBFields(p, app)
	if err != nil {
		return nil, err
	}
	if f.hasRecordFlag && f.recordFlag && !app.Recording {
		return nil, ErrRecordingDisabled
	}
	_, err = s.st.ModifyAXB(app.Key, id, func(b *routing.Binding) error {
		if f.hasA {
			b.A = f.a
		}
		if f.hasB {
			b.B = f.b
		}
		if b.A == b.B {
			return fieldErr("calleeNum", "equals callerNum")
		}
		if f.hasDirection {
			b.Direction = int(f.direction)
		}
		if f.hasDuration {
			b.Duration, b.Expires = f.duration, time.Time{} // zero Expires: restart the clock
		}
		if f.hasMaxDuration {
			b.MaxDuration = int(f.maxDuration)
		}
		if f.hasRecordFlag {
			b.RecordFlag = f.recordFlag
		}
		if f.hasLastMinVoice {
			b.LastMinVoice = f.lastMinVoice
		}
		if f.hasCaller {
			b.PreVoice.CallerHintTone = f.preVoice.CallerHintTone
		}
		if f.hasCallee {
			b.PreVoice.CalleeHintTone = f.preVoice.CalleeHintTone
		}
		if f.hasUserData {
			b.UserData = f.userData
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("axb modified", "appKey", app.Key, "subscriptionId", id)
	return nil, nil
}

// bindingItem is one relationNumList entry of the query answer (SPEC §5).
type bindingItem struct {
	SubscriptionID string `json:"subscriptionId"`
	RelationNum    string `json:"relationNum"`
	CallerNum      string `json:"callerNum"`
	CalleeNum      string `json:"calleeNum"`
	CallDirection  int    `json:"callDirection"`
	Duration       int64  `json:"duration"`
	MaxDuration    int    `json:"maxDuration"`
	RecordFlag     bool   `json:"recordFlag"`
	SubscribeTime  string `json:"subscribeTime"` // yyyy-MM-dd HH:mm:ss UTC
	UserData       string `json:"userData"`
}

type queryAnswer struct {
	TotalCount      int           `json:"totalCount"`
	RelationNumList []bindingItem `json:"relationNumList"`
}

func itemOf(b routing.Binding) bindingItem {
	return bindingItem{
		SubscriptionID: b.ID, RelationNum: string(b.X), CallerNum: string(b.A), CalleeNum: string(b.B),
		CallDirection: b.Direction, Duration: b.Duration, MaxDuration: b.MaxDuration,
		RecordFlag: b.RecordFlag, SubscribeTime: cdr.FormatTime(b.Created), UserData: b.UserData,
	}
}

// axbQuery is GET: by subscriptionId, or by relationNum narrowed by
// callerNum/calleeNum, paged (pageIndex from 1, pageSize 10–100, default 50).
func (s *Server) axbQuery(_ *http.Request, app routing.App, p params) (any, error) {
	index, size, err := page(p)
	if err != nil {
		return nil, err
	}
	id, err := subscriptionID(p, false)
	if err != nil {
		return nil, err
	}
	ans := queryAnswer{RelationNumList: []bindingItem{}}
	if id != "" {
		b, err := s.st.GetBinding(app.Key, id)
		if err != nil {
			return nil, err
		}
		ans.TotalCount = 1
		if index == 1 {
			ans.RelationNumList = append(ans.RelationNumList, itemOf(b))
		}
		return ans, nil
	}
	q, err := s.relationQuery(p, app)
	if err != nil {
		return nil, err
	}
	q.PageIndex, q.PageSize = index, size
	bs, total, err := s.st.QueryAXB(q)
	if err != nil {
		return nil, err
	}
	ans.TotalCount = total
	for _, b := range bs {
		ans.RelationNumList = append(ans.RelationNumList, itemOf(b))
	}
	return ans, nil
}

// relationQuery reads relationNum (required when there is no
// subscriptionId) and the optional callerNum/calleeNum narrowing.
func (s *Server) relationQuery(p params, app routing.App) (store.Query, error) {
	q := store.Query{AppKey: app.Key}
	x, ok, err := s.xNumber(p, "relationNum")
	if err != nil {
		return q, err
	}
	if !ok {
		return q, fieldErr("subscriptionId or relationNum", "one is required")
	}
	q.X = x
	if q.Caller, _, err = s.partyNumber(p, "callerNum"); err != nil {
		return q, err
	}
	if q.Callee, _, err = s.partyNumber(p, "calleeNum"); err != nil {
		return q, err
	}
	return q, nil
}

// axbUnbind is DELETE: by subscriptionId, or by relationNum — alone every
// binding on that X (SPEC §5); narrowed by callerNum/calleeNum [DESIGN]
// only the matching one. Nothing to unbind (also the second time) is 1012007.
func (s *Server) axbUnbind(_ *http.Request, app routing.App, p params) (any, error) {
	id, err := subscriptionID(p, false)
	if err != nil {
		return nil, err
	}
	if id != "" {
		if err := s.st.UnbindAXB(app.Key, id); err != nil {
			return nil, err
		}
		s.log.Info("axb unbound", "appKey", app.Key, "subscriptionId", id)
		return nil, nil
	}
	q, err := s.relationQuery(p, app)
	if err != nil {
		return nil, err
	}
	if q.Caller == "" && q.Callee == "" {
		n, err := s.st.UnbindX(app.Key, q.X)
		if err != nil {
			return nil, err
		}
		s.log.Info("axb unbound x", "appKey", app.Key, "x", q.X, "count", n)
		return nil, nil
	}
	// A party is on an X at most once (SPEC §3): one binding at most.
	q.PageSize = 1
	bs, _, err := s.st.QueryAXB(q)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, ErrBindingNotFound
	}
	if err := s.st.UnbindAXB(app.Key, bs[0].ID); err != nil {
		return nil, err
	}
	s.log.Info("axb unbound", "appKey", app.Key, "subscriptionId", bs[0].ID)
	return nil, nil
}

// subscriptionID reads subscriptionId; required makes its absence a 1010002.
func subscriptionID(p params, required bool) (string, error) {
	id, ok, err := p.str("subscriptionId")
	if err != nil {
		return "", err
	}
	if (!ok || id == "") && required {
		return "", fieldErr("subscriptionId", "required")
	}
	if !validKey(id, 0, 64) {
		return "", fieldErr("subscriptionId", "not a subscription id")
	}
	return id, nil
}
