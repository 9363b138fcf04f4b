package api

import (
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axStore is what the AX API needs of the store (STYLE: interfaces where
// used); *store.Store implements it.
type axStore interface {
	BindAX(r store.AXBindRequest) (routing.AXBinding, error)
	GetAX(appKey, id string) (routing.AXBinding, error)
	QueryAX(q store.AXQuery) ([]routing.AXBinding, int, error)
	ModifyAX(appKey, id string, fn func(*routing.AXBinding) error) (routing.AXBinding, error)
	UnbindAX(appKey, id string) error
	UnbindAXByX(appKey string, x routing.Number) (routing.AXBinding, error)
	SetTempCallee(r store.TempCalleeRequest) (routing.TempCallee, error)
}
