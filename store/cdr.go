package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

var _ cdr.Store = (*Store)(nil)

// PutCDR stores one CDR, synced before it returns (SPEC §6.2: a record is in
// the store before xnum counts it as emitted). It is keyed by the store's
// clock at insertion and the icid. CDRs take no writer mutex: they touch no
// other key, and concurrent calls then share Pebble's group commit.
func (s *Store) PutCDR(r cdr.Record) error {
	if r.ICID == "" {
		return fmt.Errorf("%w: icid", ErrInvalidArgument)
	}
	data := r.AppendJSON(nil) // json.Marshal's bytes, without its reflection (cdr/json.go)
	return s.read(func() error {
		if err := s.db.Set(cdrKey(s.now(), r.ICID), data, pebble.Sync); err != nil {
			return fmt.Errorf("put cdr: %w", err)
		}
		return nil
	})
}

// CDRFilter selects stored CDRs (admin API, SPEC §8). Empty fields match
// everything; Since is inclusive and Until exclusive, on the insertion time.
type CDRFilter struct {
	AppKey         string
	SubscriptionID string
	BindNum        string // the X, E.164
	CallerNum      string // E.164
	ULFailReason   *int
	Since, Until   time.Time
	PageIndex      int // from 1; <1 means 1
	PageSize       int // <1 means DefaultPageSize (50); capped at MaxPageSize (1000)
}

func (f CDRFilter) match(r cdr.Record) bool {
	return (f.AppKey == "" || r.AppKey == f.AppKey) &&
		(f.SubscriptionID == "" || r.SubscriptionID == f.SubscriptionID) &&
		(f.BindNum == "" || r.BindNum == f.BindNum) &&
		(f.CallerNum == "" || r.CallerNum == f.CallerNum) &&
		(f.ULFailReason == nil || r.ULFailReason == *f.ULFailReason)
}

// QueryCDRs returns one page of matching CDRs, newest first, and the total
// number of matches.
func (s *Store) QueryCDRs(f CDRFilter) ([]cdr.Record, int, error) {
	lo, hi := cdrRange(f.Since, f.Until)
	first, last := pageBounds(int(^uint(0)>>1), f.PageIndex, f.PageSize)
	var page []cdr.Record
	total := 0
	err := s.read(func() error {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return fmt.Errorf("iter: %w", err)
		}
		defer it.Close()
		for ok := it.Last(); ok; ok = it.Prev() {
			v, err := it.ValueAndErr()
			if err != nil {
				return fmt.Errorf("read cdr: %w", err)
			}
			var r cdr.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode cdr %s: %w", safeKey(it.Key()), err)
			}
			if !f.match(r) {
				continue
			}
			if total >= first && total < last {
				page = append(page, r)
			}
			total++
		}
		return it.Error()
	})
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

func cdrRange(since, until time.Time) (lo, hi []byte) {
	lo, hi = pfxCDR, prefixEnd(pfxCDR)
	if !since.IsZero() {
		lo = timeBound(pfxCDR, since)
	}
	if !until.IsZero() {
		hi = timeBound(pfxCDR, until)
	}
	return lo, hi
}

// PruneCDRs deletes every CDR stored before olderThan (cdr.retention) in one
// synced range deletion, and returns how many there were.
func (s *Store) PruneCDRs(olderThan time.Time) (int, error) {
	lo, hi := cdrRange(time.Time{}, olderThan)
	n := 0
	err := s.read(func() error {
		if err := scanRange(s.db, lo, hi, func(_, _ []byte) error { n++; return nil }); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := s.db.DeleteRange(lo, hi, pebble.Sync); err != nil {
			return fmt.Errorf("prune cdrs: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
