package cdr_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// BenchmarkEmitDeliver measures the whole path of an event on this machine:
// EmitEvent from concurrent calls (a synced outbox write each) until a
// loopback receiver has acknowledged it, on the real clock. It reports the
// events delivered per second; the bench compares that with the
// call rate (five events and one CDR per call).
func BenchmarkEmitDeliver(b *testing.B) {
	var got atomic.Int64
	done := make(chan struct{})
	var want atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got.Add(1) == want.Load() {
			close(done)
		}
	}))
	defer srv.Close()
	want.Store(int64(b.N))
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: srv.URL + "/status"})
	e := newEnv(b, b.TempDir(), newFakeClock(t0), apps, func(d *cdr.DispatcherDeps) {
		d.Now, d.After = nil, nil // real time
		d.Registerer = nil
	})
	e.obs.ops = make(chan op, 1) // not observed: drain so the worker never blocks
	go func() {
		for range e.obs.ops {
		}
	}()
	ctx, stop := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = e.d.Run(ctx)
	}()
	var n atomic.Int64
	b.SetParallelism(64) // many calls emit at once, as under load
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			ev := callEvents(fmt.Sprintf("s%d", i/5))[i%5]
			if err := e.d.EmitEvent("app1", ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
	<-done
	elapsed := time.Since(start)
	cpu = processCPU() - cpu
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	stop()
	<-runDone
	close(e.obs.ops)
}

// BenchmarkDeliver measures delivery alone: b.N events of b.N/5 calls wait
// in the outbox, then the Dispatcher pushes them to a loopback receiver.
func BenchmarkDeliver(b *testing.B) { benchDeliver(b, 0) }

// BenchmarkDeliverSlowReceiver is BenchmarkDeliver against a receiver that
// takes 2 ms to answer each push (its own work, a database insert, a WAN
// hop): what bounds delivery then is how many pushes are in flight, not
// CPU.
func BenchmarkDeliverSlowReceiver(b *testing.B) { benchDeliver(b, 2*time.Millisecond) }

// benchDeliver queues b.N events, then times the Dispatcher until a
// receiver that answers after latency has them all.
func benchDeliver(b *testing.B, latency time.Duration) {
	var got atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if latency > 0 {
			time.Sleep(latency) // the receiver's latency being simulated, not a wait
		}
		if got.Add(1) == n {
			close(done)
		}
	}))
	defer srv.Close()
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: srv.URL + "/status"})
	e := newEnv(b, b.TempDir(), newFakeClock(t0), apps, func(d *cdr.DispatcherDeps) {
		d.Now, d.After = nil, nil
	})
	e.obs.ops = make(chan op, 1)
	go func() {
		for range e.obs.ops {
		}
	}()
	items := make([]cdr.OutboxItem, 0, 1000)
	for i := range b.N {
		it, _ := cdr.NewEventItem("app1", callEvents(fmt.Sprintf("s%d", i/5))[i%5])
		items = append(items, it)
		if len(items) == cap(items) || i == b.N-1 {
			if _, err := e.ob.Enqueue(items...); err != nil {
				b.Fatal(err)
			}
			items = items[:0]
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	go func() {
		defer close(runDone)
		_ = e.d.Run(ctx)
	}()
	<-done
	elapsed := time.Since(start)
	cpu = processCPU() - cpu
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	stop()
	<-runDone
	close(e.obs.ops)
}

// processCPU is the CPU time the test process has used (user and system,
// every goroutine: the Dispatcher's, the store's and the receiver's), for
// the cpu-ns/op the benchmarks report.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
