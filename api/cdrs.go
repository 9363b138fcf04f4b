package api

import "net/http"

// queryCDRs is GET /admin/v1/cdrs (SPEC §8). Pending store.QueryCDRs.
func (s *Server) queryCDRs(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return nil, ErrNotImplemented
}
