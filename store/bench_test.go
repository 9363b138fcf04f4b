package store

import (
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

const (
	benchXs    = 10
	benchPairs = 2000
)

// benchStore holds benchXs X numbers with benchPairs pairs spread over them,
// so that lookups run against real index depth. Pair i is num(2i)–num(2i+1)
// on X i%benchXs. The benchmarks use b.Loop, so this runs once per benchmark.
func benchStore(b *testing.B) (*Store, []routing.Number, []routing.Number) {
	b.Helper()
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	var xs, parties []routing.Number
	for i := range benchXs {
		xs = append(xs, xnum(i))
	}
	seedApp(b, s, "a", xs...)
	for i := range benchPairs {
		mustBind(b, s, BindRequest{AppKey: "a", X: xs[i%benchXs], A: num(2 * i), B: num(2*i + 1)})
		parties = append(parties, num(2*i), num(2*i+1))
	}
	return s, xs, parties
}

// BenchmarkBindingByParty is the per-INVITE binding lookup (SPEC §3 step 3):
// two Gets and one JSON decode.
func BenchmarkBindingByParty(b *testing.B) {
	s, xs, parties := benchStore(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := i % len(parties)
		if _, ok, err := s.BindingByParty(xs[(n/2)%benchXs], parties[n]); err != nil || !ok {
			b.Fatalf("lookup %d: ok=%v err=%v", n, ok, err)
		}
	}
}

// BenchmarkBindingByPartyMiss is a stranger calling an X (8014).
func BenchmarkBindingByPartyMiss(b *testing.B) {
	s, xs, _ := benchStore(b)
	stranger := num(1_000_000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok, err := s.BindingByParty(xs[i%benchXs], stranger); err != nil || ok {
			b.Fatalf("ok=%v err=%v", ok, err)
		}
	}
}

// BenchmarkXNumber is the per-INVITE X lookup (SPEC §3 step 1), from cache.
func BenchmarkXNumber(b *testing.B) {
	s, xs, _ := benchStore(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, ok, err := s.XNumber(xs[i%benchXs]); err != nil || !ok {
			b.Fatalf("ok=%v err=%v", ok, err)
		}
	}
}

// BenchmarkXNumberParallel is XNumber from every core at once.
func BenchmarkXNumberParallel(b *testing.B) {
	s, xs, _ := benchStore(b)
	b.ReportAllocs()
	b.ResetTimer()
	var i atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, ok, err := s.XNumber(xs[i.Add(1)%benchXs]); err != nil || !ok {
				b.Fatalf("ok=%v err=%v", ok, err)
			}
		}
	})
}

// BenchmarkIsXMiss is the loop guard on a caller that is no X (SPEC §2):
// never cached, one Get.
func BenchmarkIsXMiss(b *testing.B) {
	s, _, parties := benchStore(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if ok, err := s.IsX(parties[i%len(parties)]); err != nil || ok {
			b.Fatalf("ok=%v err=%v", ok, err)
		}
	}
}

// BenchmarkPutCDR is one synced CDR at a time: the fsync latency.
func BenchmarkPutCDR(b *testing.B) {
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.PutCDR(cdr.Record{ICID: strconv.Itoa(i), AppKey: "a"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutCDRParallel is many calls ending at once: concurrent synced
// CDRs share Pebble's group commit, so the rate exceeds 1/fsync.
func BenchmarkPutCDRParallel(b *testing.B) {
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	var i atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.PutCDR(cdr.Record{ICID: strconv.FormatUint(i.Add(1), 10), AppKey: "a"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBindAXB is one synced bind with the store picking the X.
func BenchmarkBindAXB(b *testing.B) {
	s, _ := openTest(b, Options{Logger: slog.New(slog.DiscardHandler)})
	var xs []routing.Number
	for i := range benchXs {
		xs = append(xs, xnum(i))
	}
	seedApp(b, s, "a", xs...)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		mustBind(b, s, BindRequest{AppKey: "a", A: num(2 * i), B: num(2*i + 1)})
	}
}
