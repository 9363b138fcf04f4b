package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per app (SPEC §5: api.rate_limit requests
// per app per second, else 1010010). The bucket holds one second's worth, so
// a client may burst up to the limit. Apps are few: the map is not pruned.
type limiters struct {
	mu    sync.Mutex
	per   rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

// newLimiters makes the set; perSecond ≤ 0 means no limit.
func newLimiters(perSecond int) *limiters {
	l := &limiters{per: rate.Inf, m: make(map[string]*rate.Limiter)}
	if perSecond > 0 {
		l.per, l.burst = rate.Limit(perSecond), perSecond
	}
	return l
}

// allow takes one token of app's bucket at now (the server's clock, so tests
// with a fixed clock are deterministic).
func (l *limiters) allow(app string, now time.Time) bool {
	if l.per == rate.Inf {
		return true
	}
	l.mu.Lock()
	lim, ok := l.m[app]
	if !ok {
		lim = rate.NewLimiter(l.per, l.burst)
		l.m[app] = lim
	}
	l.mu.Unlock()
	return lim.AllowN(now, 1)
}
