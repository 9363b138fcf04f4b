package api

import (
	"net/http"

	"github.com/xnum/xnum/routing"
)

// routes registers every endpoint on the standard library's ServeMux with
// Go 1.22 method+path patterns (see docs/API.md).
func (s *Server) routes() {
	// SPEC §5 AXB management API.
	mode := func(m routing.Mode, mutating bool) appCheck { return appCheck{mode: m, mutating: mutating} }
	s.mux.Handle("POST "+axbPath, s.rest(mode(routing.ModeAXB, true), false, s.axbBind))
	s.mux.Handle("PUT "+axbPath, s.rest(mode(routing.ModeAXB, true), false, s.axbModify))
	s.mux.Handle("GET "+axbPath, s.rest(mode(routing.ModeAXB, false), true, s.axbQuery))
	s.mux.Handle("DELETE "+axbPath, s.rest(mode(routing.ModeAXB, true), true, s.axbUnbind))

	// SPEC §5 AX, AXE and AXYB management APIs.
	s.mux.Handle("POST "+axPath, s.rest(mode(routing.ModeAX, true), false, s.axBind))
	s.mux.Handle("PUT "+axPath, s.rest(mode(routing.ModeAX, true), false, s.axModify))
	s.mux.Handle("GET "+axPath, s.rest(mode(routing.ModeAX, false), true, s.axQuery))
	s.mux.Handle("DELETE "+axPath, s.rest(mode(routing.ModeAX, true), true, s.axUnbind))
	s.mux.Handle("PUT "+axCalleePath, s.rest(mode(routing.ModeAX, true), false, s.axSetCallee))
	s.mux.Handle("POST "+axePath, s.rest(mode(routing.ModeAXE, true), false, s.axeBind))
	s.mux.Handle("PUT "+axePath, s.rest(mode(routing.ModeAXE, true), false, s.axeModify))
	s.mux.Handle("GET "+axePath, s.rest(mode(routing.ModeAXE, false), true, s.axeQuery))
	s.mux.Handle("DELETE "+axePath, s.rest(mode(routing.ModeAXE, true), true, s.axeUnbind))
	s.mux.Handle("POST "+axybPath, s.rest(mode(routing.ModeAXYB, true), false, s.axybBind))
	s.mux.Handle("GET "+axybPath, s.rest(mode(routing.ModeAXYB, false), true, s.axybQuery))
	s.mux.Handle("DELETE "+axybPath, s.rest(mode(routing.ModeAXYB, true), true, s.axybUnbind))
	// SPEC §5 recording download (any mode): 301 to a signed link.
	s.mux.Handle("GET "+recordPath, http.HandlerFunc(s.recordDownload))
	s.mux.Handle("GET "+recordFilePath, http.HandlerFunc(s.recordFile))

	// SPEC §8 admin API.
	const a = "/admin/v1/apps"
	s.mux.Handle("POST "+a, s.admin(s.createApp))
	s.mux.Handle("GET "+a, s.admin(s.listApps))
	s.mux.Handle("GET "+a+"/{appKey}", s.admin(s.getApp))
	s.mux.Handle("PUT "+a+"/{appKey}", s.admin(s.updateApp))
	s.mux.Handle("DELETE "+a+"/{appKey}", s.admin(s.deleteApp))
	s.mux.Handle("POST "+a+"/{appKey}/freeze", s.admin(s.freezeApp(true)))
	s.mux.Handle("POST "+a+"/{appKey}/unfreeze", s.admin(s.freezeApp(false)))
	s.mux.Handle("POST "+a+"/{appKey}/numbers", s.admin(s.addNumbers))
	s.mux.Handle("GET "+a+"/{appKey}/numbers", s.admin(s.listNumbers))
	s.mux.Handle("DELETE "+a+"/{appKey}/numbers/{e164}", s.admin(s.removeNumber))
	s.mux.Handle("POST "+a+"/{appKey}/numbers/{e164}/suspend", s.admin(s.suspendNumber(true)))
	s.mux.Handle("POST "+a+"/{appKey}/numbers/{e164}/resume", s.admin(s.suspendNumber(false)))
	s.mux.Handle("GET /admin/v1/cdrs", s.admin(s.queryCDRs))
	// Filled in by later issues (media: prompts; events: outbox).
	s.mux.Handle("PUT "+a+"/{appKey}/prompts/{name}", s.admin(s.uploadPrompt))
	s.mux.Handle("GET /admin/v1/outbox/dead", s.admin(s.listDead))
	s.mux.Handle("POST /admin/v1/outbox/dead/{id}/redrive", s.admin(s.redriveDead))
}
