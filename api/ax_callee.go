package api

import (
	"net/http"

	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axCalleePath sets an AX binding's temporary callee (SPEC §5 [HW]).
const axCalleePath = "/rest/caas/privatenumber/calleenumber/v1.0"

// axSetCallee is PUT: the binding by subscriptionId (which wins) or
// privateNum, and calleeNum. A's next call to X within 60 s goes to that
// callee; it serves one call and each set replaces the previous (SPEC §3).
// The callee may be a home mobile or fixed line or a 400/95 service number,
// never an X of the platform (SPEC §2).
func (s *Server) axSetCallee(_ *http.Request, app routing.App, p params) (any, error) {
	callee, ok, err := s.realNumber(p, "calleeNum", true)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fieldErr("calleeNum", "required")
	}
	id, x, err := s.axTarget(p)
	if err != nil {
		return nil, err
	}
	tc, err := s.st.SetTempCallee(store.TempCalleeRequest{AppKey: app.Key, ID: id, X: x, Callee: callee})
	if err != nil {
		return nil, axErrs.apply(err)
	}
	s.log.Info("ax temporary callee set", "appKey", app.Key, "subscriptionId", tc.SubscriptionID, "callee", tc.Callee)
	return nil, nil
}
