package api

import (
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axeStore is what the AXE API needs of the store; *store.Store implements
// it.
type axeStore interface {
	BindAXE(r store.AXEBindRequest) (routing.AXEBinding, error)
	GetAXE(appKey, id string) (routing.AXEBinding, error)
	QueryAXE(q store.AXEQuery) ([]routing.AXEBinding, int, error)
	ModifyAXE(appKey, id string, fn func(*routing.AXEBinding) error) (routing.AXEBinding, error)
	UnbindAXE(appKey, id string) error
}
