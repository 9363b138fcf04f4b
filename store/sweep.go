package store

import (
	"context"
	"errors"
	"fmt"
	"time"
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
	err = s.update(func(t *tx) error {
		// be keys at or before now: Expired is !now.Before(Expires).
		hi := timeBound(pfxExpiry, t.now.Add(time.Nanosecond))
		type due struct {
			key []byte
			id  string
		}
		var dues []due
		err := scanRange(t.b, pfxExpiry, hi, func(k, _ []byte) error {
			_, id, ok := splitTimeKey(pfxExpiry, k)
			if !ok {
				return fmt.Errorf("%w: bad expiry key %s", ErrInconsistent, safeKey(k))
			}
			dues = append(dues, due{append([]byte(nil), k...), id})
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
			b, ok, err := loadBinding(t.b, d.id)
			if err != nil {
				return err
			}
			if ok && b.Expired(t.now) {
				if err := t.delBinding(b, true); err != nil {
					return err
				}
				deleted++
			} else if err := t.del(d.key); err != nil {
				// An entry without its expired binding is garbage.
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
