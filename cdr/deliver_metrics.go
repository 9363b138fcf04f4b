package cdr

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics of delivery (SPEC §8 /metrics):
//
//	xnum_outbox_pushes_total{kind,result}  HTTP pushes: delivered, nowhere, failed
//	xnum_outbox_writes_total               connection writes that sent pushes: pushes
//	                                       written over writes is the mean burst
//	xnum_outbox_items_total{kind,result}   items: enqueued, skipped, delivered, nowhere,
//	                                       retry, dead, redriven — rate(…{result="delivered"})
//	                                       is the events/s delivered
//	xnum_outbox_depth{state}               items pending and dead, as counted by the store
//	                                       (OutboxStore.Depth: store.Outbox keeps the count)
type metrics struct {
	pushes  *prometheus.CounterVec
	items   *prometheus.CounterVec
	writes  prometheus.Counter
	written prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, st OutboxStore) (*metrics, error) {
	m := &metrics{
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xnum_outbox_pushes_total",
			Help: "Webhook pushes by kind (event, fee) and result (delivered, nowhere, failed).",
		}, []string{"kind", "result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xnum_outbox_items_total",
			Help: "Outbox items by kind and what happened to them (enqueued, skipped, delivered, nowhere, retry, dead, redriven).",
		}, []string{"kind", "result"}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xnum_outbox_writes_total",
			Help: "Connection writes that sent webhook pushes (a burst, or a push on its own).",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xnum_outbox_written_total",
			Help: "Webhook pushes written by those writes: over xnum_outbox_writes_total, the mean burst.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.pushes, m.items, m.writes, m.written, newDepthCollector(st)} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMetrics, err)
		}
	}
	return m, nil
}

func kindLabel(kind string) string {
	if kind == KindFee {
		return KindFee
	}
	return KindEvent
}

func (m *metrics) push(kind, result string) {
	m.pushes.WithLabelValues(kindLabel(kind), result).Inc()
}

func (m *metrics) item(kind, result string, n int) {
	if n > 0 {
		m.items.WithLabelValues(kindLabel(kind), result).Add(float64(n))
	}
}

// depthCollector asks the store for the outbox depth once per scrape;
// store.Outbox answers from its counts without reading keys.
type depthCollector struct {
	st   OutboxStore
	desc *prometheus.Desc
}

func newDepthCollector(st OutboxStore) depthCollector {
	return depthCollector{st, prometheus.NewDesc("xnum_outbox_depth",
		"Outbox items by state (pending, dead).", []string{"state"}, nil)}
}

func (c depthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c depthCollector) Collect(ch chan<- prometheus.Metric) {
	pending, dead, err := c.st.Depth()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(pending), "pending")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(dead), "dead")
}
