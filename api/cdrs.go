package api

import (
	"net/http"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/store"
)

// Paging of the CDR query (SPEC §8).
const (
	defCDRPageSize = 50
	maxCDRPageSize = 1000
)

type cdrsAnswer struct {
	Total int          `json:"total"`
	CDRs  []cdr.Record `json:"cdrs"`
}

// queryCDRs is GET /admin/v1/cdrs?appKey=&subscriptionId=&bindNum=&callerNum=
// &ulFailReason=&since=&until=&pageIndex=&pageSize= (SPEC §8): records of
// SPEC §6.2, newest first. since (inclusive) and until (exclusive) are RFC
// 3339 and compare with the time the record was stored, i.e. its call's end.
func (s *Server) queryCDRs(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := readParams(w, r, true)
	if err != nil {
		return nil, err
	}
	var f store.CDRFilter
	if f.AppKey, _, err = p.str("appKey"); err != nil {
		return nil, err
	}
	if f.SubscriptionID, _, err = p.str("subscriptionId"); err != nil {
		return nil, err
	}
	if f.BindNum, err = s.filterNumber(p, "bindNum"); err != nil {
		return nil, err
	}
	if f.CallerNum, err = s.filterNumber(p, "callerNum"); err != nil {
		return nil, err
	}
	if v, ok, err := p.integer("ulFailReason"); err != nil {
		return nil, err
	} else if ok {
		c := int(v)
		f.ULFailReason = &c
	}
	if f.Since, err = rfc3339(p, "since"); err != nil {
		return nil, err
	}
	if f.Until, err = rfc3339(p, "until"); err != nil {
		return nil, err
	}
	index, err := p.intIn("pageIndex", 1, 1, 1<<31-1)
	if err != nil {
		return nil, err
	}
	size, err := p.intIn("pageSize", defCDRPageSize, 1, maxCDRPageSize)
	if err != nil {
		return nil, err
	}
	f.PageIndex, f.PageSize = int(index), int(size)
	recs, total, err := s.st.QueryCDRs(f)
	if err != nil {
		return nil, err
	}
	if recs == nil {
		recs = []cdr.Record{}
	}
	return cdrsAnswer{Total: total, CDRs: recs}, nil
}

// filterNumber reads a number filter; CDRs hold E.164, so a number the plan
// reads is normalised, and anything else (an anonymous caller's raw text) is
// matched as sent.
func (s *Server) filterNumber(p params, k string) (string, error) {
	v, ok, err := p.str(k)
	if err != nil || !ok {
		return "", err
	}
	if n, _, err := s.plan.Normalize(v); err == nil {
		return string(n), nil
	}
	return v, nil
}

func rfc3339(p params, k string) (time.Time, error) {
	v, ok, err := p.str(k)
	if err != nil || !ok || v == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fieldErr(k, "must be RFC 3339, e.g. 2025-01-02T15:04:05Z")
	}
	return t, nil
}
