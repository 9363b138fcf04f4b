package sip

import (
	"context"
	"time"
)

// closeWait bounds how long Close waits for call loops to send their last
// BYEs and exit.
const closeWait = 10 * time.Second

// Drain is SIGTERM (SPEC §8, issue 2 item 8): new INVITEs get 503 from now
// on; calls may finish on their own within sip.drain_timeout (or until ctx
// ends); whatever is still up then is released with BYE on both legs (CANCEL
// towards B and a final response towards A for calls not yet answered).
// Drain returns when no call is left or ctx is done. The listeners stay open
// so that in-dialog requests of the remaining calls still arrive; Close
// follows.
func (s *Server) Drain(ctx context.Context) {
	s.draining.Store(true)
	t := time.NewTimer(s.drainTimeout)
	defer t.Stop()
	if !s.waitIdle(ctx, t.C) {
		s.endAll(false)
		s.waitIdle(ctx, nil)
	}
}

// waitIdle waits until no call is active; false when limit or ctx fired first.
func (s *Server) waitIdle(ctx context.Context, limit <-chan time.Time) bool {
	for s.ActiveCalls() > 0 {
		select {
		case <-s.idle:
		case <-limit:
			return s.ActiveCalls() == 0
		case <-ctx.Done():
			return s.ActiveCalls() == 0
		}
	}
	return true
}

// endAll asks every call loop to release its call now; with force the loop
// leaves without waiting for B's last answers.
func (s *Server) endAll(force bool) {
	s.ending.Store(true)
	s.calls.Range(func(k, _ any) bool {
		k.(*call).inbox.push(event{kind: evShutdown, force: force})
		return true
	})
}

// callEnded is called by each call loop as it exits.
func (s *Server) callEnded() {
	if s.active.Add(-1) == 0 && s.draining.Load() {
		select {
		case s.idle <- struct{}{}:
		default:
		}
	}
}

// Close releases every call at once (BYE on both legs), stops listening and
// frees the transport. It is idempotent and safe to call without Start.
func (s *Server) Close() error {
	s.closeOne.Do(func() {
		s.mu.Lock()
		s.closed = true
		started := s.started
		s.mu.Unlock()
		s.draining.Store(true)
		s.endAll(true)
		t := time.NewTimer(closeWait)
		s.waitIdle(context.Background(), t.C)
		t.Stop()
		s.closeEvents()
		if started {
			s.stop()
			s.udpConn.Close()
			s.tcpLn.Close()
		}
		s.ua.Close()
		s.serveWG.Wait()
	})
	return nil
}
