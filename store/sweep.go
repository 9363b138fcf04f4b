package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xnum/xnum/routing"
)

// sweepBatch bounds one sweep batch, so that binds waiting for the writer
// mutex are held up by one short commit at a time.
const sweepBatch = 256

// SweepExpired deletes every record expired at the store's clock — AXB
// bindings, then the AX, AXE and AXYB families (bindings, temporary callees,
// callback records, B–Y relations) — with their indexes, in batches of at
// most sweepBatch records, and returns how many records it deleted. Lookups
// already ignore expired records; the sweep reclaims their space and their
// numbers' places (SPEC §3).
func (s *Store) SweepExpired() (int, error) {
	total := 0
	for _, once := range []func() (int, int, error){s.sweepOnce, s.sweepModesOnce} {
		for {
			n, scanned, err := once()
			total += n
			if err != nil {
				return total, err
			}
			if scanned < sweepBatch {
				break
			}
		}
	}
	return total, nil
}

// sweepOnce deletes up to sweepBatch due bindings and reports how many it
// deleted and how many expiry entries it looked at.
func (s *Store) sweepOnce() (deleted, scanned int, err error) {
	parse := func(k []byte) (string, bool) {
		_, id, ok := splitTimeKey(pfxExpiry, k)
		return id, ok
	}
	return sweepDue(s, pfxExpiry, parse, func(t *tx, id string) (bool, error) {
		return expireIf(t, id, loadBinding, func(b routing.Binding) error { return t.delBinding(b, true) })
	})
}

// sweepDue deletes up to sweepBatch due records of the expiry family pfx
// and reports how many it deleted and how many entries it looked at. parse
// reads an entry's key; expire deletes its record when it is expired and
// says whether it did. An entry whose record it did not delete is garbage
// and goes too.
func sweepDue[D any](s *Store, pfx []byte, parse func(k []byte) (D, bool),
	expire func(*tx, D) (bool, error)) (deleted, scanned int, err error) {
	err = s.update(func(t *tx) error {
		// Keys at or before now: Expired is !now.Before(Expires).
		hi := timeBound(pfx, t.now.Add(time.Nanosecond))
		type due struct {
			key []byte
			d   D
		}
		var dues []due
		err := scanRange(t.b, pfx, hi, func(k, _ []byte) error {
			d, ok := parse(k)
			if !ok {
				return fmt.Errorf("%w: bad expiry key %s", ErrInconsistent, safeKey(k))
			}
			dues = append(dues, due{append([]byte(nil), k...), d})
			if len(dues) == sweepBatch {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		scanned = len(dues)
		for _, d := range dues {
			gone, err := expire(t, d.d)
			if err != nil {
				return err
			}
			if gone {
				deleted++
			} else if err := t.del(d.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return deleted, scanned, nil
}

// RunSweeper sweeps at start and then every interval until ctx is done, when
// it returns nil. It stops with the error if the store is closed under it.
func (s *Store) RunSweeper(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("%w: sweep interval %v", ErrInvalidArgument, interval)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n, err := s.SweepExpired()
		switch {
		case errors.Is(err, ErrClosed):
			return err
		case err != nil:
			s.log.Error("sweep expired bindings", "err", err)
		case n > 0:
			s.log.Info("swept expired bindings", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
