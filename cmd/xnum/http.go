package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes puts the operational endpoints beside the API handler.
func (d *daemon) routes(apiHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.registry, promhttp.HandlerOpts{Registry: d.registry}))
	mux.Handle("/", apiHandler)
	return mux
}

// healthz is 200 while the daemon takes calls and 503 once it drains, so a
// load balancer stops sending to it before it goes away.
func (d *daemon) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if d.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("draining\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}
