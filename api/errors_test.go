package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xnum/xnum/store"
)

// Every failure classifies to its result code, wrapped or not; store
// sentinels map by errors.Is; anything else is an internal error whose text
// stays out of the answer.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		code Code
	}{
		{ErrNoAuthorization, CodeNoAuthHeader},
		{fmt.Errorf("%w: unknown scheme", ErrMalformedAuth), CodeAuthFailed},
		{ErrDigestMismatch, CodeAuthFailed},
		{ErrNonceReused, CodeAuthFailed},
		{ErrCreatedWindow, CodeCreatedWindow},
		{ErrUnknownAppKey, CodeUnknownAppKey},
		{ErrNonceCacheFull, CodeRateLimited},
		{ErrRateLimited, CodeRateLimited},
		{ErrAdminToken, CodeAuthFailed},
		{ErrWrongMode, CodeWrongMode},
		{ErrAppFrozen, CodeAppFrozen},
		{ErrRecordingDisabled, CodeRecordingDisabled},
		{ErrNotImplemented, CodeNotImplemented},
		{ErrBindingNotFound, CodeBindingNotFound},
		{fieldErr("callerNum", "bad"), CodeInvalidRequest},
		{fmt.Errorf("bind: %w", store.ErrAppFrozen), CodeAppFrozen},
		{fmt.Errorf("bind: %w: AX", store.ErrWrongMode), CodeWrongMode},
		{store.ErrXNotInApp, CodeXNotInApp},
		{store.ErrNoFreeXInArea, CodeNoFreeXInArea},
		{store.ErrNoFreeX, CodeNoFreeXInArea},
		{store.ErrBindingExists, CodeBindingExists},
		{store.ErrXFull, CodeXFull},
		{store.ErrBindingNotFound, CodeBindingNotFound},
		{store.ErrAppExists, CodeRecordExists},
		{store.ErrAppNotFound, CodeRecordNotFound},
		{fmt.Errorf("%w: +86138****01", store.ErrNumberTaken), CodeRecordExists},
		{store.ErrNumberNotFound, CodeRecordNotFound},
		{fmt.Errorf("%w: +86138****01", store.ErrPartyIsX), CodeInvalidRequest},
		{fmt.Errorf("%w: callDirection", store.ErrInvalidArgument), CodeInvalidRequest},
		{store.ErrClosed, CodeInternal},
		{store.ErrImmutableField, CodeInternal},
		{errors.New("disk on fire +8613800000001"), CodeInternal},
	} {
		code, desc := classify(mapStoreErr(c.err))
		if code != c.code {
			t.Errorf("%v: %s, want %s", c.err, code, c.code)
		}
		if code == CodeInternal && desc != CodeInternal.Desc() {
			t.Errorf("%v: internal detail leaked: %q", c.err, desc)
		}
	}
	if !errors.Is(fieldErr("x", "y"), ErrInvalidRequest) {
		t.Error("FieldError does not unwrap to ErrInvalidRequest")
	}
}

func TestMaskDigits(t *testing.T) {
	got := maskDigits("bind +8613800000001 on 8617100000001 failed after 30 s")
	if got != "bind +86138******01 on 86171******01 failed after 30 s" {
		t.Errorf("maskDigits: %q", got)
	}
}
