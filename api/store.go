package api

import (
	"errors"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// Store is what the API needs of the persistent state (STYLE: interfaces
// defined where used). *store.Store implements it.
type Store interface {
	CreateApp(a routing.App) error
	GetApp(key string) (routing.App, error)
	UpdateApp(a routing.App) error
	DeleteApp(key string) error
	ListApps() ([]routing.App, error)
	SetFrozen(key string, frozen bool) error

	AddNumbers(appKey string, nums []routing.Number, areaCode string) error
	ListNumbers(appKey string) ([]routing.XNumber, error)
	RemoveNumber(appKey string, n routing.Number) error
	SetSuspended(appKey string, n routing.Number, suspended bool) error
	IsX(n routing.Number) (bool, error)

	BindAXB(r store.BindRequest) (routing.Binding, error)
	GetBinding(appKey, id string) (routing.Binding, error)
	ModifyAXB(appKey, id string, fn func(*routing.Binding) error) (routing.Binding, error)
	QueryAXB(q store.Query) ([]routing.Binding, int, error)
	UnbindAXB(appKey, id string) error
	UnbindX(appKey string, x routing.Number) (int, error)

	QueryCDRs(f store.CDRFilter) ([]cdr.Record, int, error)

	axStore
	axeStore
	axybStore
}

var _ Store = (*store.Store)(nil)

// errAppNotFound is the store's "no such app" (1010003 when a signature
// names it, 1016001 on the admin API).
var errAppNotFound = store.ErrAppNotFound

// storeCodes maps the store's sentinels to result codes (SPEC §5). The
// admin API reuses the generic record codes for its objects [DESIGN].
var storeCodes = []struct {
	err  error
	code Code
}{
	{store.ErrAppFrozen, CodeAppFrozen},
	{store.ErrWrongMode, CodeWrongMode},
	{store.ErrXNotInApp, CodeXNotInApp},
	{store.ErrNoFreeXInArea, CodeNoFreeXInArea},
	{store.ErrNoFreeX, CodeNoFreeXInArea},
	{store.ErrBindingExists, CodeBindingExists},
	{store.ErrXFull, CodeXFull},
	{store.ErrBindingNotFound, CodeBindingNotFound},
	{store.ErrAppExists, CodeRecordExists},
	{store.ErrAppNotFound, CodeRecordNotFound},
	{store.ErrNumberTaken, CodeRecordExists},
	{store.ErrNumberNotFound, CodeRecordNotFound},
}

// storeDescs words the admin-side answers more precisely than the code's
// generic description.
var storeDescs = map[error]string{
	store.ErrAppExists:      "app already exists",
	store.ErrAppNotFound:    "app not found",
	store.ErrNumberTaken:    "number already assigned to another app",
	store.ErrNumberNotFound: "number is no X of this app",
	store.ErrNoFreeX:        "no free X in this app",
}

// mapStoreErr gives a store failure its result code; errors that already
// carry one, and unknown ones (internal), pass through.
func mapStoreErr(err error) error {
	var c coder
	if errors.As(err, &c) {
		return err
	}
	switch {
	case errors.Is(err, store.ErrPartyIsX):
		return &FieldError{Field: "callerNum or calleeNum", Reason: "is a privacy number of the platform"}
	case errors.Is(err, store.ErrInvalidArgument):
		return newError(CodeInvalidRequest, err.Error())
	}
	for _, m := range storeCodes {
		if errors.Is(err, m.err) {
			desc, ok := storeDescs[m.err]
			if !ok {
				desc = m.code.Desc()
			}
			return newError(m.code, desc)
		}
	}
	return err
}
