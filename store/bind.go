package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/xnum/xnum/routing"
)

// Area match modes of an AXB bind (SPEC §5 areaMatchMode).
const (
	AreaStrict    = 0 // only an X of the requested area
	AreaPreferred = 1 // the area first, then the same province, then any
)

// BindRequest is an AXB bind (SPEC §5). X selection: a specific X, or an
// area code with a match mode, or neither for any free X of the app.
type BindRequest struct {
	AppKey string

	X             routing.Number // a specific X of the app (relationNum)
	AreaCode      string         // otherwise pick a free X of this area
	AreaMatchMode int            // AreaStrict or AreaPreferred

	A, B           routing.Number // callerNum, calleeNum
	Direction      int            // 0 both, 1 only A→B, 2 only B→A
	Duration       int64          // seconds, 0 = never expires
	MaxDuration    int            // minutes from answer, 0 = no limit
	RecordFlag     bool
	RecordHintTone string
	LastMinVoice   string
	PrivateSMS     bool
	PreVoice       routing.PreVoice
	UserData       string
}

// BindAXB stores a new A–X–B binding and returns it with its generated
// subscriptionId, relationNum, creation time and expiry. The uniqueness rules
// of SPEC §3 are checked and the binding written under the writer mutex, so
// concurrent binds cannot both take the same number on an X.
func (s *Store) BindAXB(r BindRequest) (routing.Binding, error) {
	b := routing.Binding{
		AppKey: r.AppKey, A: r.A, B: r.B, Direction: r.Direction,
		Duration: r.Duration, MaxDuration: r.MaxDuration,
		RecordFlag: r.RecordFlag, RecordHintTone: r.RecordHintTone,
		LastMinVoice: r.LastMinVoice, PrivateSMS: r.PrivateSMS,
		PreVoice: r.PreVoice, UserData: r.UserData,
	}
	if err := checkBinding(b); err != nil {
		return routing.Binding{}, err
	}
	if err := (XChoice{X: r.X, AreaCode: r.AreaCode, AreaMatchMode: r.AreaMatchMode}).check("relationNum"); err != nil {
		return routing.Binding{}, err
	}
	err := s.update(func(t *tx) error {
		if _, err := t.appForWrite(r.AppKey); err != nil {
			return err
		}
		if err := t.checkParties(b.A, b.B); err != nil {
			return err
		}
		x, err := t.pickX(r)
		if err != nil {
			return err
		}
		id, err := t.newID()
		if err != nil {
			return err
		}
		b.ID, b.X, b.Created, b.Expires = id, x, t.now, expiry(t.now, b.Duration)
		return t.putBinding(b, true)
	})
	if err != nil {
		return routing.Binding{}, err
	}
	return b, nil
}

// checkBinding validates the fields a caller sets.
func checkBinding(b routing.Binding) error {
	if err := checkNumber("callerNum", b.A); err != nil {
		return err
	}
	if err := checkNumber("calleeNum", b.B); err != nil {
		return err
	}
	switch {
	case b.A == b.B:
		return fmt.Errorf("%w: calleeNum equals callerNum", ErrInvalidArgument)
	case b.Direction < 0 || b.Direction > 2:
		return fmt.Errorf("%w: callDirection", ErrInvalidArgument)
	case b.Duration < 0:
		return fmt.Errorf("%w: duration", ErrInvalidArgument)
	case b.MaxDuration < 0:
		return fmt.Errorf("%w: maxDuration", ErrInvalidArgument)
	}
	return nil
}

// checkParties refuses an X of the platform as A or B (SPEC §2 loop guard),
// checked under the writer mutex so that it holds against AddNumbers too.
func (t *tx) checkParties(ns ...routing.Number) error {
	for _, n := range ns {
		isX, err := t.isX(n)
		if err != nil {
			return err
		}
		if isX {
			return fmt.Errorf("%w: %s", ErrPartyIsX, n.Masked())
		}
	}
	return nil
}

func expiry(now time.Time, seconds int64) time.Time {
	if seconds == 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(seconds) * time.Second)
}

// newID returns a fresh id: 128 random bits in hex, unused by any record
// family (AXB, AX, AXE, AXYB bindings and B–Y relations), so that one
// subscriptionId never names two records of different modes.
func (t *tx) newID() (string, error) {
next:
	for {
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", fmt.Errorf("subscription id: %w", err)
		}
		id := hex.EncodeToString(raw[:])
		for _, k := range [][]byte{bindingKey(id), axKey(id), axeKey(id), axybKey(id), relKey(id)} {
			_, ok, err := get(t.b, k)
			if err != nil {
				return "", err
			}
			if ok {
				continue next
			}
		}
		return id, nil
	}
}

// pickX chooses the X for a bind: the requested one, or the least loaded
// free X of the app in the best area rank the request allows.
func (t *tx) pickX(r BindRequest) (routing.Number, error) {
	if r.X != "" {
		if _, err := t.ownX(r.AppKey, r.X); err != nil {
			return "", err
		}
		return r.X, t.fits(r.X, r.A, r.B)
	}
	// Least loaded first spreads pairs over the app's numbers, which keeps
	// room on every X for parties that need several X numbers.
	c := XChoice{AreaCode: r.AreaCode, AreaMatchMode: r.AreaMatchMode}
	return t.pickLeastLoaded(r.AppKey, c, func(xn routing.XNumber) (uint64, bool, error) {
		if err := t.fits(xn.Number, r.A, r.B); err != nil {
			if isNotFree(err) {
				err = nil
			}
			return 0, false, err
		}
		n, err := pairCount(t.b, xn.Number)
		return n, err == nil, err
	})
}

// areaRank orders an X of area have for a request of area want and match
// mode: 0 the requested area, 1 the same province (Options.SameProvince), 2
// anywhere; -1 when the request excludes it. Without an area every X ranks 0.
func (t *tx) areaRank(want string, mode int, have string) int {
	switch {
	case want == "":
		return 0
	case sameArea(want, have):
		return 0
	case mode == AreaStrict:
		return -1
	case t.s.sameProvince != nil && have != "" && t.s.sameProvince(want, have):
		return 1
	default:
		return 2
	}
}

// fits checks that neither party is on x and that x has room.
func (t *tx) fits(x, a, b routing.Number) error {
	for _, n := range []routing.Number{a, b} {
		free, err := t.partyFree(x, n, "")
		if err != nil {
			return err
		}
		if !free {
			return ErrBindingExists
		}
	}
	room, err := t.hasRoom(x)
	if err != nil {
		return err
	}
	if !room {
		return ErrXFull
	}
	return nil
}

func isNotFree(err error) bool { return errors.Is(err, ErrBindingExists) || errors.Is(err, ErrXFull) }
