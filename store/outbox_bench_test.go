package store

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/xnum/xnum/cdr"
)

// The outbox's hot path (docs/EVENTS.md "Speed"): every event is one synced
// write, read back by its app's worker, then deleted. Besides ns/op these
// report the process CPU per op (cpu-ns/op, Pebble's goroutines included)
// and, where it writes, the WAL fsyncs per op and their mean latency.

// benchPayload is the size and shape of an event push (~300 bytes).
var benchPayload = json.RawMessage(`{"eventType":"answer","sessionId":"7c1e2d9a-5b4f-4e0a-9d8c-3f2b1a0e9d8c",` +
	`"appKey":"a","icid":"icid-0001-0002-0003","callType":"AXB","dir":"out","ts":"2026-11-27T10:00:00.000Z",` +
	`"callerNum":"+8613800000001","calledNum":"+8617000000001","displayNum":"+8617000000001","note":"caf\u00e9 \"q\" <b>"}`)

func benchItem(app string, n int) cdr.OutboxItem {
	return cdr.OutboxItem{AppKey: app, Kind: cdr.KindEvent, SessionID: fmt.Sprintf("s%d", n), Payload: benchPayload}
}

// benchMeter reports cpu-ns/op and, with a store, fsyncs/op and fsync-µs.
type benchMeter struct {
	s       *Store
	cpu     time.Duration
	syncs   uint64
	syncSum float64
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *benchMeter) fsyncs() (uint64, float64) {
	var d dto.Metric
	if h := m.s.db.Metrics().LogWriter.FsyncLatency; h != nil && h.Write(&d) == nil {
		return d.GetHistogram().GetSampleCount(), d.GetHistogram().GetSampleSum()
	}
	return 0, 0
}

func startMeter(s *Store) *benchMeter {
	m := &benchMeter{s: s}
	m.syncs, m.syncSum = m.fsyncs()
	m.cpu = cpuTime()
	return m
}

func (m *benchMeter) report(b *testing.B, ops int) {
	cpu := cpuTime() - m.cpu
	n, sum := m.fsyncs()
	n, sum = n-m.syncs, sum-m.syncSum
	if ops == 0 {
		return
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(ops), "cpu-ns/op")
	b.ReportMetric(float64(n)/float64(ops), "fsyncs/op")
	if n > 0 {
		b.ReportMetric(sum/float64(n)/1e3, "fsync-µs") // the histogram is in ns
	}
}

// BenchmarkOutboxEnqueueParallel is many calls emitting at once: 32
// goroutines each enqueue one item per op, synced. They share the WAL's
// group commit, so fsyncs/op < 1.
func BenchmarkOutboxEnqueueParallel(b *testing.B) {
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	o := openOutbox(b, s)
	b.ReportAllocs()
	b.SetParallelism(16)
	var n atomic.Int64
	m := startMeter(s)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := o.Enqueue(benchItem("a", int(n.Add(1)))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	m.report(b, b.N)
}

// BenchmarkOutboxCycle is one app's worker keeping up: each op enqueues a
// batch of 8 items (one synced write, as an event writer does), loads them
// with Pending and marks them delivered (a second synced write).
func BenchmarkOutboxCycle(b *testing.B) {
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	o := openOutbox(b, s)
	batch := make([]cdr.OutboxItem, 8)
	for i := range batch {
		batch[i] = benchItem("a", i)
	}
	var after uint64
	b.ReportAllocs()
	m := startMeter(s)
	for b.Loop() {
		if _, err := o.Enqueue(batch...); err != nil {
			b.Fatal(err)
		}
		items, err := o.Pending("a", after, 64)
		if err != nil || len(items) != len(batch) {
			b.Fatalf("pending: %d %v", len(items), err)
		}
		ids := make([]uint64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		after = ids[len(ids)-1]
		if err := o.MarkDelivered("a", ids...); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b, b.N)
	if p, _, _ := o.Depth(); p != 0 {
		b.Fatalf("depth %d", p)
	}
}

// BenchmarkOutboxPending is a worker loading a backlog of 2,000 items
// (another app's 2,000 interleaved), 100 at a time: Pending alone.
func BenchmarkOutboxPending(b *testing.B) {
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	o := openOutbox(b, s)
	var ids []uint64
	for i := range 200 {
		var batch []cdr.OutboxItem
		for j := range 10 {
			batch = append(batch, benchItem("a", i*10+j), benchItem("b", i*10+j))
		}
		got := mustEnqueue(b, o, batch...)
		for j := 0; j < len(got); j += 2 {
			ids = append(ids, got[j])
		}
	}
	b.ReportAllocs()
	m := startMeter(s)
	for i := 0; b.Loop(); i++ {
		k := i % 20 * 100
		after := uint64(0)
		if k > 0 {
			after = ids[k-1]
		}
		items, err := o.Pending("a", after, 100)
		if err != nil || len(items) != 100 || items[0].ID != ids[k] {
			b.Fatalf("pending after %d: %d %v", after, len(items), err)
		}
	}
	m.report(b, b.N)
}

// BenchmarkOutboxEncode is what enqueue does to each item before the
// write: the JSON of the stored value (encodeItem; json.Marshal before it).
func BenchmarkOutboxEncode(b *testing.B) {
	it := benchItem("a", 1)
	it.ID, it.Created = 12345678, time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		data, err := encodeItem(it)
		if err != nil {
			b.Fatal(err)
		}
		n += len(data)
	}
	if n == 0 {
		b.Fatal("nothing encoded")
	}
}

// BenchmarkOutboxLoad is the daemon's shape at 1000 calls/s: items arrive
// at a fixed 6,000/s, 4 writers each store what their queue holds in one
// synced Enqueue (as sip/events.go does), and one worker loads them with
// Pending and deletes them with MarkDelivered (synced). ns/op is set by the
// rate; what counts is the CPU and the fsyncs per item, and how long an item
// waits from its arrival until its Enqueue returns (wait-µs, mean).
func BenchmarkOutboxLoad(b *testing.B) {
	const rate, writers = 6000, 4
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	o := openOutbox(b, s)
	queues := make([]chan time.Time, writers)
	var waited atomic.Int64
	var wg sync.WaitGroup
	poke := make(chan struct{}, 1)
	for w := range queues {
		queues[w] = make(chan time.Time, 4096)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var batch []cdr.OutboxItem
			var born []time.Time
			for t := range queues[w] {
				batch, born = append(batch[:0], benchItem("a", w)), append(born[:0], t)
			more:
				for len(batch) < 512 {
					select {
					case t, ok := <-queues[w]:
						if !ok {
							break more
						}
						batch, born = append(batch, benchItem("a", w)), append(born, t)
					default:
						break more
					}
				}
				if _, err := o.Enqueue(batch...); err != nil {
					b.Error(err)
					return
				}
				now := time.Now()
				for _, t := range born {
					waited.Add(int64(now.Sub(t)))
				}
				select {
				case poke <- struct{}{}:
				default:
				}
			}
		}()
	}
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		var last uint64
		n := 0
		for n < b.N {
			items, err := o.Pending("a", last, 512)
			if err != nil {
				b.Error(err)
				return
			}
			if len(items) == 0 {
				<-poke
				continue
			}
			ids := make([]uint64, len(items))
			for i, it := range items {
				ids[i] = it.ID
			}
			last = ids[len(ids)-1]
			if err := o.MarkDelivered("a", ids...); err != nil {
				b.Error(err)
				return
			}
			n += len(ids)
		}
	}()
	m := startMeter(s)
	b.ResetTimer()
	tick := time.NewTicker(200 * time.Microsecond)
	start := time.Now()
	for sent := 0; sent < b.N; {
		now := <-tick.C
		due := min(b.N, int(now.Sub(start).Seconds()*rate))
		for ; sent < due; sent++ {
			queues[sent%writers] <- now
		}
	}
	tick.Stop()
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	<-delivered
	b.StopTimer()
	m.report(b, b.N)
	b.ReportMetric(float64(waited.Load())/float64(b.N)/1e3, "wait-µs")
}
