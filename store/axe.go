package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/xnum/xnum/routing"
)

// DefaultExtLen is the extension length of an AXE app that sets none
// [DESIGN], as the admin API defaults it.
const DefaultExtLen = 4

// AXEBindRequest is an AXE bind (SPEC §5): bindNum A on virtualNum X (or a
// free X chosen by area) with extension Ext, assigned when empty.
type AXEBindRequest struct {
	AppKey string
	XChoice
	A                   routing.Number // bindNum
	Ext                 string         // extendNum; "" = assign one
	CallbackNum         routing.Number // xor CallbackTone; both empty is allowed
	CallbackTone        string
	BindExpiredTime     int64 // in TimeUnit, 0 = never expires
	CallbackExpiredTime int64 // in TimeUnit, 0 = as long as the binding
	TimeUnit            int   // routing.TimeUnitHours or routing.TimeUnitMinutes
	routing.CallOptions
}

// BindAXE stores a new A–X–E binding. The extension has the app's length
// (App.ExtLen, 1–4, DefaultExtLen when 0) and is unique per X: one asked for
// and in use is ErrExtensionTaken; when none is asked for a free one is
// drawn at random, and none free is ErrNoFreeExtension (also when every X the
// request allows is full). A is bound at most once per X (ErrPartyExists).
func (s *Store) BindAXE(r AXEBindRequest) (routing.AXEBinding, error) {
	b := routing.AXEBinding{
		AppKey: r.AppKey, A: r.A, Ext: r.Ext, CallbackNum: r.CallbackNum, CallbackTone: r.CallbackTone,
		BindExpiredTime: r.BindExpiredTime, CallbackExpiredTime: r.CallbackExpiredTime,
		TimeUnit: r.TimeUnit, CallOptions: r.CallOptions,
	}
	if err := checkAXE(b); err != nil {
		return routing.AXEBinding{}, err
	}
	if err := r.XChoice.check("virtualNum"); err != nil {
		return routing.AXEBinding{}, err
	}
	err := s.updateMode(r.AppKey, routing.ModeAXE, func(t *tx, app routing.App) error {
		n := extLen(app)
		if b.Ext != "" && len(b.Ext) != n {
			return fmt.Errorf("%w: extendNum must have %d digits", ErrInvalidArgument, n)
		}
		if err := t.checkParties(b.A); err != nil {
			return err
		}
		if b.CallbackNum != "" {
			if err := t.checkParties(b.CallbackNum); err != nil {
				return err
			}
		}
		var err error
		if b.X, b.Ext, err = t.axePlace(r, b.Ext, n); err != nil {
			return err
		}
		if b.ID, err = t.newID(); err != nil {
			return err
		}
		b.Created = t.now
		b.Expires = expiryIn(t, b.BindExpiredTime, b)
		return t.putAXE(b)
	})
	if err != nil {
		return routing.AXEBinding{}, err
	}
	return b, nil
}

// axePlace finds the X and extension of a new binding of A.
func (t *tx) axePlace(r AXEBindRequest, ext string, n int) (routing.Number, string, error) {
	place := func(x routing.Number) (string, error) {
		free, err := t.axePartyFree(x, r.A, "")
		if err := mustBeFree(free, err, ErrPartyExists); err != nil {
			return "", err
		}
		if ext != "" {
			free, err := t.extFree(x, ext, "")
			if err := mustBeFree(free, err, ErrExtensionTaken); err != nil {
				return "", err
			}
			return ext, nil
		}
		e, err := t.freeExt(x, n)
		if err == nil && e == "" {
			err = ErrNoFreeExtension
		}
		return e, err
	}
	if r.X != "" {
		if _, err := t.ownX(r.AppKey, r.X); err != nil {
			return "", "", err
		}
		e, err := place(r.X)
		return r.X, e, err
	}
	// Why X numbers were refused: for want of any extension, or of the one
	// asked for.
	var full, taken bool
	exts := map[routing.Number]string{}
	x, err := t.pickFree(r.AppKey, r.XChoice, func(xn routing.XNumber) (bool, error) {
		e, err := place(xn.Number)
		switch {
		case errors.Is(err, ErrNoFreeExtension):
			full = true
			return false, nil
		case errors.Is(err, ErrExtensionTaken):
			taken = true
			return false, nil
		case errors.Is(err, ErrPartyExists):
			return false, nil
		case err != nil:
			return false, err
		}
		exts[xn.Number] = e
		return true, nil
	})
	if errors.Is(err, ErrNoFreeX) || errors.Is(err, ErrNoFreeXInArea) {
		switch {
		case taken:
			err = ErrExtensionTaken
		case full:
			err = ErrNoFreeExtension
		}
	}
	return x, exts[x], err
}

func extLen(app routing.App) int {
	if app.ExtLen < 1 || app.ExtLen > 4 {
		return DefaultExtLen
	}
	return app.ExtLen
}

// expiryIn is now + n TimeUnits of b, zero for n == 0.
func expiryIn(t *tx, n int64, b routing.AXEBinding) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return t.now.Add(time.Duration(n) * b.Unit())
}

func checkAXE(b routing.AXEBinding) error {
	if err := checkNumber("bindNum", b.A); err != nil {
		return err
	}
	if b.Ext != "" && (len(b.Ext) > 4 || !digitsOnly(b.Ext)) {
		return fmt.Errorf("%w: extendNum", ErrInvalidArgument)
	}
	if b.CallbackNum != "" {
		if err := checkNumber("callbackNum", b.CallbackNum); err != nil {
			return err
		}
		if b.CallbackTone != "" {
			return fmt.Errorf("%w: callbackNum and callbackTone both set", ErrInvalidArgument)
		}
		if b.CallbackNum == b.A {
			return fmt.Errorf("%w: callbackNum equals bindNum", ErrInvalidArgument)
		}
	}
	switch {
	case b.BindExpiredTime < 0:
		return fmt.Errorf("%w: bindExpiredTime", ErrInvalidArgument)
	case b.CallbackExpiredTime < 0:
		return fmt.Errorf("%w: callbackExpiredTime", ErrInvalidArgument)
	case b.TimeUnit != routing.TimeUnitHours && b.TimeUnit != routing.TimeUnitMinutes:
		return fmt.Errorf("%w: timeUnit", ErrInvalidArgument)
	}
	return checkOptions(b.CallOptions)
}

func digitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
