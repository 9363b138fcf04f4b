package sip

import (
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the signalling plane's Prometheus series (issue 2 item 8).
type metrics struct {
	calls   *prometheus.CounterVec
	panics  prometheus.Counter
	dropped prometheus.Counter
	answer  prometheus.Histogram
	byLabel sync.Map // result+"/"+cause → prometheus.Counter, to skip the vec's hashing
}

func newMetrics(reg prometheus.Registerer, active func() int) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xnum_sip_calls_total",
			Help: "Call attempts by result (answered, rejected, failed, cancelled) and release cause (SPEC §6.3).",
		}, []string{"result", "cause"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xnum_sip_panics_total",
			Help: "Panics recovered in SIP handlers and call loops.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xnum_sip_dropped_total",
			Help: "Datagrams and connections dropped because their source is not in trunk.allowed_sources.",
		}),
		answer: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "xnum_sip_answer_seconds",
			Help:    "Time from A's INVITE to the 200 relayed to A.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
	}
	if reg == nil {
		return m, nil
	}
	activeGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "xnum_sip_active_calls",
		Help: "Calls in progress.",
	}, func() float64 { return float64(active()) })
	for _, c := range []prometheus.Collector{m.calls, m.panics, m.dropped, m.answer, activeGauge} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("%w: metrics already registered (one Registerer per server)", ErrConfig)
			}
			return nil, fmt.Errorf("sip: metrics: %w", err)
		}
	}
	return m, nil
}

// ended counts a finished attempt.
func (m *metrics) ended(result string, cause int) {
	key := result + "/" + causeLabel(cause)
	if c, ok := m.byLabel.Load(key); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c := m.calls.WithLabelValues(result, causeLabel(cause))
	m.byLabel.Store(key, c)
	c.Inc()
}
