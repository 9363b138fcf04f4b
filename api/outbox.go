package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/store"
)

// DeadLetters is what the outbox endpoints of the admin API need (SPEC §6.2
// "parked as dead (listed and re-drivable through the admin API)", §8):
// store.Outbox lists the dead items, cdr.Dispatcher re-drives one and wakes
// its app's worker. cmd joins the two.
type DeadLetters interface {
	// ListDead returns one page of dead items of appKey ("" for all),
	// oldest first, and how many there are.
	ListDead(appKey string, pageIndex, pageSize int) ([]cdr.OutboxItem, int, error)
	// Redrive makes a dead item pending again under a new id, due now;
	// store.ErrOutboxNotFound when no dead item has that id.
	Redrive(id uint64) (cdr.OutboxItem, error)
}

// deadAnswer is the page of GET /admin/v1/outbox/dead: items as stored
// (id, appKey, kind, sessionId, payload — the event or CDR exactly as it
// would be pushed —, created, attempts, firstFailure, nextAttempt,
// lastError).
type deadAnswer struct {
	Total int              `json:"total"`
	Items []cdr.OutboxItem `json:"items"`
}

// redriveAnswer is the item as re-enqueued, with its new id.
type redriveAnswer struct {
	Item cdr.OutboxItem `json:"item"`
}

// listDead is GET /admin/v1/outbox/dead?appKey=&pageIndex=&pageSize=
// (SPEC §8), paged like the CDR query.
func (s *Server) listDead(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.dead == nil {
		return nil, ErrNotImplemented
	}
	p, err := readParams(w, r, true)
	if err != nil {
		return nil, err
	}
	appKey, _, err := p.str("appKey")
	if err != nil {
		return nil, err
	}
	index, err := p.intIn("pageIndex", 1, 1, 1<<31-1)
	if err != nil {
		return nil, err
	}
	size, err := p.intIn("pageSize", defCDRPageSize, 1, maxCDRPageSize)
	if err != nil {
		return nil, err
	}
	items, total, err := s.dead.ListDead(appKey, int(index), int(size))
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []cdr.OutboxItem{}
	}
	return deadAnswer{Total: total, Items: items}, nil
}

// redriveDead is POST /admin/v1/outbox/dead/{id}/redrive (SPEC §8): the
// item goes back to its app's queue with a fresh retry schedule. An unknown
// id (never dead, or re-driven already) is 1016001.
func (s *Server) redriveDead(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.dead == nil {
		return nil, ErrNotImplemented
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return nil, fieldErr("id", "must be the decimal id of a dead item")
	}
	it, err := s.dead.Redrive(id)
	if errors.Is(err, store.ErrOutboxNotFound) {
		return nil, newError(CodeRecordNotFound, "no dead item with that id")
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("dead item re-driven", "id", id, "newId", it.ID, "appKey", it.AppKey, "kind", it.Kind)
	return redriveAnswer{Item: it}, nil
}
