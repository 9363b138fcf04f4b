package api

import (
	"fmt"
	"net/http"

	"github.com/xnum/xnum/routing"
)

// maxNumbersPerAdd bounds one POST …/numbers (one store batch).
const maxNumbersPerAdd = 10000

type numbersView struct {
	Numbers []routing.XNumber `json:"numbers"`
}

// addNumbers is POST /admin/v1/apps/{appKey}/numbers
// {"numbers":["+86…"],"areaCode":"0755"} (SPEC §8). All or none are added;
// the answer lists the numbers given, as stored.
func (s *Server) addNumbers(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := readParams(w, r, false)
	if err != nil {
		return nil, err
	}
	raw, ok, err := p.strs("numbers")
	if err != nil {
		return nil, err
	}
	if !ok || len(raw) == 0 || len(raw) > maxNumbersPerAdd {
		return nil, fieldErr("numbers", "1-%d numbers required", maxNumbersPerAdd)
	}
	area, _, err := areaCode(p, "areaCode")
	if err != nil {
		return nil, err
	}
	nums := make([]routing.Number, 0, len(raw))
	want := make(map[routing.Number]bool, len(raw))
	for i, v := range raw {
		n, kind, err := s.plan.Normalize(v)
		if err != nil || (kind != routing.KindMobile && kind != routing.KindFixed) {
			return nil, fieldErr(fmt.Sprintf("numbers[%d]", i), "not a valid mobile or fixed-line number")
		}
		if !want[n] {
			want[n] = true
			nums = append(nums, n)
		}
	}
	key := r.PathValue("appKey")
	if err := s.st.AddNumbers(key, nums, area); err != nil {
		return nil, err
	}
	all, err := s.st.ListNumbers(key)
	if err != nil {
		return nil, err
	}
	out := numbersView{Numbers: make([]routing.XNumber, 0, len(nums))}
	for _, x := range all {
		if want[x.Number] {
			out.Numbers = append(out.Numbers, x)
		}
	}
	s.log.Info("numbers added", "appKey", key, "count", len(nums))
	return out, nil
}

func (s *Server) listNumbers(_ http.ResponseWriter, r *http.Request) (any, error) {
	all, err := s.st.ListNumbers(r.PathValue("appKey"))
	if err != nil {
		return nil, err
	}
	if all == nil {
		all = []routing.XNumber{}
	}
	return numbersView{Numbers: all}, nil
}

// pathNumber reads {e164} of the path. Any shape the plan reads is accepted;
// in a path '+' is literal and %2B decodes to it.
func (s *Server) pathNumber(r *http.Request) (routing.Number, error) {
	n, _, err := s.plan.Normalize(r.PathValue("e164"))
	if err != nil {
		return "", fieldErr("e164", "not a valid number")
	}
	return n, nil
}

// removeNumber is DELETE …/numbers/{e164}: the X and all its bindings go.
func (s *Server) removeNumber(_ http.ResponseWriter, r *http.Request) (any, error) {
	n, err := s.pathNumber(r)
	if err != nil {
		return nil, err
	}
	key := r.PathValue("appKey")
	if err := s.st.RemoveNumber(key, n); err != nil {
		return nil, err
	}
	s.log.Info("number removed", "appKey", key, "number", n)
	return nil, nil
}

// suspendNumber serves …/suspend and …/resume (SPEC §3: 8055 while suspended).
func (s *Server) suspendNumber(suspended bool) adminHandler {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		n, err := s.pathNumber(r)
		if err != nil {
			return nil, err
		}
		key := r.PathValue("appKey")
		if err := s.st.SetSuspended(key, n, suspended); err != nil {
			return nil, err
		}
		s.log.Info("number suspended state", "appKey", key, "number", n, "suspended", suspended)
		return nil, nil
	}
}
