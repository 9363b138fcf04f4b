package api

import (
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axybStore is what the AXYB API needs of the store; *store.Store
// implements it.
type axybStore interface {
	BindAXYB(r store.AXYBBindRequest) (routing.AXYBBinding, error)
	GetAXYB(appKey, id string) (routing.AXYBBinding, []routing.YRelation, error)
	QueryAXYB(q store.AXYBQuery) ([]store.AXYBRow, int, error)
	UnbindAXYB(appKey, id string) error
	UnbindYRelation(appKey, id string, b routing.Number) error
}
