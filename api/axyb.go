package api

import (
	"net/http"
	"strconv"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axybPath is the AXYB API of SPEC §5 [HW]: POST bind, GET query, DELETE
// unbind. B–Y relations are made at call time, never through the API.
const axybPath = "/rest/omp/xyrelationnumber/v1.0"

// axybErrs gives the store's failures their AXYB codes (SPEC §5).
var axybErrs = errMap{
	{err: store.ErrXNotInApp, code: CodeAXNotInApp, desc: "privateNum is not an X of this app"},
	{err: store.ErrNoFreeXInArea, code: CodeNoFreeXInArea}, // strict area (noFreeX)
	{err: store.ErrNoFreeX, code: CodeAXNoFreeX, desc: "no free X in this app"},
	{err: store.ErrRecordNotFound, code: CodeRecordNotFound},
	{err: store.ErrXHasA, code: CodeRecordExists, desc: "that X already has an A"},
	{err: store.ErrXIsY, code: CodeRecordExists, desc: "privateNum is in use as a Y"},
	{err: store.ErrPartyIsX, code: CodeInvalidRequest, desc: "invalid origNum: is a privacy number of the platform"},
}

type axybBindAnswer struct {
	SubscriptionID string `json:"subscriptionId"`
	RelationNumber string `json:"relationNumber"` // [HW] the X
}

// axybBind is POST: origNum required; privateNum, or a free X of areaCode,
// or any free X of the app [DESIGN]; duration (seconds, 0 = never, else
// 60–7776000, as AXB); ybDuration (0 = as long as A–X) no longer than
// duration; callDirection 0 both, 1 only A → Y → B, 2 only B → X → A.
func (s *Server) axybBind(_ *http.Request, app routing.App, p params) (any, error) {
	a, err := s.requiredParty(p, "origNum")
	if err != nil {
		return nil, err
	}
	xc, err := s.readXChoice(p, "privateNum")
	if err != nil {
		return nil, err
	}
	r := store.AXYBBindRequest{AppKey: app.Key, XChoice: xc, A: a}
	dir, err := p.intIn("callDirection", 0, 0, 2)
	if err != nil {
		return nil, err
	}
	r.Direction = int(dir)
	if r.Duration, err = p.intIn("duration", 0, 0, 0, minDuration, maxDuration); err != nil {
		return nil, err
	}
	if r.YBDuration, err = p.intIn("ybDuration", 0, 0, 0, minDuration, maxDuration); err != nil {
		return nil, err
	}
	if r.Duration > 0 && r.YBDuration > r.Duration {
		return nil, fieldErr("ybDuration", "longer than duration")
	}
	f, err := s.readOptions(p, app)
	if err != nil {
		return nil, err
	}
	r.CallOptions = f.o
	b, err := s.st.BindAXYB(r)
	if err != nil {
		return nil, axybErrs.apply(noFreeX(err, r.XChoice))
	}
	s.log.Info("axyb bound", "appKey", app.Key, "subscriptionId", b.ID, "x", b.X)
	return axybBindAnswer{SubscriptionID: b.ID, RelationNumber: string(b.X)}, nil
}

// xyItem is one xyRelationNumList entry (SPEC §5 [HW] names). The vendor's
// AXYB query types duration and ybDuration String(1-32), and callDirection
// Integer; SPEC §5 names the fields without types, so the vendor's hold.
type xyItem struct {
	BindID        string `json:"bindId"` // the subscriptionId
	NumA          string `json:"numA"`
	NumX          string `json:"numX"`
	NumY          string `json:"numY"`
	NumB          string `json:"numB"`
	CallDirection int    `json:"callDirection"`
	Duration      string `json:"duration"`   // [HW] String(1-32): seconds, "0" = never
	YBDuration    string `json:"ybDuration"` // [HW] String(1-32): seconds, "0" = as long as A–X
	SubscribeTime string `json:"subscribeTime"`
	UserData      string `json:"userData"`
}

type axybQueryAnswer struct {
	TotalCount        int      `json:"totalCount"` // [DESIGN] rows in all pages
	XYRelationNumList []xyItem `json:"xyRelationNumList"`
}

// xyItemOf renders a row: a binding with one of its B–Y relations, or with
// empty numY and numB while it has none [DESIGN].
func xyItemOf(r store.AXYBRow) xyItem {
	b := r.Binding
	it := xyItem{
		BindID: b.ID, NumA: string(b.A), NumX: string(b.X), CallDirection: b.Direction,
		Duration: strconv.FormatInt(b.Duration, 10), YBDuration: strconv.FormatInt(b.YBDuration, 10),
		SubscribeTime: cdr.FormatTime(b.Created), UserData: b.UserData,
	}
	if r.Relation.ID != "" {
		it.NumY, it.NumB, it.SubscribeTime = string(r.Relation.Y), string(r.Relation.B), cdr.FormatTime(r.Relation.Created)
	}
	return it
}

// axybQuery is GET: subscriptionId, which wins, else relationNum (the X) or
// [DESIGN] origNum; paged by row (pageIndex from 1, pageSize 10–100, default
// 50, as AXB). An unknown subscriptionId is 1016001; an X without binding
// answers an empty list.
func (s *Server) axybQuery(_ *http.Request, app routing.App, p params) (any, error) {
	index, size, err := page(p)
	if err != nil {
		return nil, err
	}
	q := store.AXYBQuery{AppKey: app.Key, PageIndex: index, PageSize: size}
	if q.ID, err = subscriptionID(p, false); err != nil {
		return nil, err
	}
	if q.ID == "" {
		var hasX, hasA bool
		if q.X, hasX, err = s.xNumber(p, "relationNum"); err != nil {
			return nil, err
		}
		if !hasX {
			if q.A, hasA, err = s.partyNumber(p, "origNum"); err != nil {
				return nil, err
			}
		}
		if !hasX && !hasA {
			return nil, fieldErr("subscriptionId or relationNum", "one is required")
		}
	}
	rows, total, err := s.st.QueryAXYB(q)
	if err != nil {
		return nil, axybErrs.apply(err)
	}
	if q.ID != "" && total == 0 {
		return nil, ErrRecordNotFound
	}
	ans := axybQueryAnswer{TotalCount: total, XYRelationNumList: make([]xyItem, 0, len(rows))}
	for _, r := range rows {
		ans.XYRelationNumList = append(ans.XYRelationNumList, xyItemOf(r))
	}
	return ans, nil
}

// axybUnbind is DELETE: subscriptionId alone unbinds A–X and all its B–Y
// relations; with bNum or yNum (yNum wins [HW]) only that one relation.
func (s *Server) axybUnbind(_ *http.Request, app routing.App, p params) (any, error) {
	id, err := subscriptionID(p, true)
	if err != nil {
		return nil, err
	}
	y, hasY, err := s.xNumber(p, "yNum")
	if err != nil {
		return nil, err
	}
	b, hasB, err := s.partyNumber(p, "bNum")
	if err != nil && !hasY {
		return nil, err
	}
	switch {
	case hasY:
		if b, err = s.relationB(app, id, y); err != nil {
			return nil, err
		}
	case !hasB:
		if err := s.st.UnbindAXYB(app.Key, id); err != nil {
			return nil, axybErrs.apply(err)
		}
		s.log.Info("axyb unbound", "appKey", app.Key, "subscriptionId", id)
		return nil, nil
	}
	if err := s.st.UnbindYRelation(app.Key, id, b); err != nil {
		return nil, axybErrs.apply(err)
	}
	s.log.Info("axyb relation unbound", "appKey", app.Key, "subscriptionId", id)
	return nil, nil
}

// relationB finds the B of binding id's live relation on Y y.
func (s *Server) relationB(app routing.App, id string, y routing.Number) (routing.Number, error) {
	_, rels, err := s.st.GetAXYB(app.Key, id)
	if err != nil {
		return "", axybErrs.apply(err)
	}
	for _, r := range rels {
		if r.Y == y {
			return r.B, nil
		}
	}
	return "", ErrRecordNotFound
}
