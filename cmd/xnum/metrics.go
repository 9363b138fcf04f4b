package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry is one daemon's metrics registry. It is never the global
// default registry, so two daemons in one test process don't collide.
func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return r
}

// registerDaemonMetrics adds what only the wiring knows: that this daemon is
// up and draining or not.
func registerDaemonMetrics(r *prometheus.Registry, d *daemon) {
	r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "xnum_draining",
		Help: "1 while the daemon drains calls before stopping, else 0.",
	}, func() float64 {
		if d.draining.Load() {
			return 1
		}
		return 0
	}))
}
