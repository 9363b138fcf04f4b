//go:build linux

package media

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Benchmarks of the relay (go test -bench . ./media, also in make bench).
// Every figure is measured against a plain UDP forwarder built on the same
// socket model — one goroutine per socket, blocking ReadFrom, WriteTo the
// fixed peer — which is the ceiling: the relay cannot forward for less.
// CPU is the whole process's (getrusage), so sender and receiver sockets
// are in it too, equally for both.

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// plainForwarder relays between two sockets with no RTP processing.
type plainForwarder struct {
	a, b      *net.UDPConn
	toA, toB  netip.AddrPort
	wg        sync.WaitGroup
	forwarded atomic.Uint64
}

func newPlainForwarder(tb testing.TB, port int, toA, toB netip.AddrPort) *plainForwarder {
	listen := func(p int) *net.UDPConn {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(xnumIP, uint16(p))))
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	f := &plainForwarder{a: listen(port), b: listen(port + 2), toA: toA, toB: toB}
	pump := func(in, out *net.UDPConn, dst netip.AddrPort) {
		defer f.wg.Done()
		buf := make([]byte, maxPacket)
		for {
			n, _, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			out.WriteToUDPAddrPort(buf[:n], dst)
			f.forwarded.Add(1)
		}
	}
	f.wg.Add(2)
	go pump(f.a, f.b, toB)
	go pump(f.b, f.a, toA)
	return f
}

func (f *plainForwarder) close() {
	f.a.Close()
	f.b.Close()
	f.wg.Wait()
}

func (f *plainForwarder) entryA() netip.AddrPort { return f.a.LocalAddr().(*net.UDPAddr).AddrPort() }
func (f *plainForwarder) entryB() netip.AddrPort { return f.b.LocalAddr().(*net.UDPAddr).AddrPort() }

// flow sends n packets A → entry and reads them at B, a window at a time
// so that no socket buffer overflows; it returns the CPU spent and the
// packets lost.
func flow(tb testing.TB, A, B *party, entry netip.AddrPort, n int) (time.Duration, int) {
	const window = 32
	payload := frame(0x33)
	buf := make([]byte, maxPacket)
	lost := 0
	start := cpuTime()
	for sent := 0; sent < n; {
		w := min(window, n-sent)
		for range w {
			A.sendAudio(entry, PayloadPCMU, payload)
		}
		sent += w
		B.rtp.SetReadDeadline(time.Now().Add(time.Second))
		for i := range w {
			if _, _, err := B.rtp.ReadFromUDPAddrPort(buf); err != nil {
				lost += w - i
				break
			}
		}
	}
	return cpuTime() - start, lost
}

func benchBridge(b *testing.B) (*party, *party, netip.AddrPort) {
	e := newTestEngine(b)
	a, _, A, B, _ := bridgedPair(b, e, payU, payU)
	return A, B, legAddr(a)
}

func benchPlain(b *testing.B) (*party, *party, netip.AddrPort) {
	A, B := newParty(b, partyAIP), newParty(b, partyBIP)
	f := newPlainForwarder(b, 23000, A.addr(), B.addr())
	b.Cleanup(f.close)
	return A, B, f.entryA()
}

func reportFlow(b *testing.B, mk func(*testing.B) (*party, *party, netip.AddrPort)) time.Duration {
	A, B, entry := mk(b)
	flow(b, A, B, entry, 256) // warm up
	b.ResetTimer()
	cpu, lost := flow(b, A, B, entry, b.N)
	b.StopTimer()
	if lost > 0 {
		b.Logf("%d of %d packets lost", lost, b.N)
	}
	per := cpu / time.Duration(b.N)
	b.ReportMetric(float64(per.Nanoseconds()), "cpu-ns/pkt")
	return per
}

// BenchmarkBridge: one packet through leg a → bridge → leg b.
func BenchmarkBridge(b *testing.B) { reportFlow(b, benchBridge) }

// BenchmarkPlainForwarder: the same path through the plain forwarder.
func BenchmarkPlainForwarder(b *testing.B) { reportFlow(b, benchPlain) }

// BenchmarkBridgeVsPlain runs both on the same b.N and prints the ratio of
// CPU per forwarded packet.
func BenchmarkBridgeVsPlain(b *testing.B) {
	var plain time.Duration
	b.Run("plain", func(b *testing.B) { plain = reportFlow(b, benchPlain) })
	b.Run("bridge", func(b *testing.B) {
		bridge := reportFlow(b, benchBridge)
		if plain > 0 {
			b.ReportMetric(float64(bridge)/float64(plain), "x-plain")
		}
	})
}

// BenchmarkCalls holds N relayed G.711 calls at the real rate — every
// party sends one 172-byte packet every 20 ms, so N calls are 100·N
// packets a second through the relay — for a few seconds, and reports
// loss, added latency and CPU, for the bridge and for the plain forwarder
// with the same sockets. The load generator and receivers run in the same
// process, on the same cores. Run with -benchtime=1x.
func BenchmarkCalls(b *testing.B) {
	for _, calls := range []int{100, 250, 500, 750, 1000} {
		for _, kind := range []string{"plain", "bridge"} {
			b.Run(fmt.Sprintf("%s/%d", kind, calls), func(b *testing.B) {
				for range b.N {
					runCalls(b, kind, calls, 3*time.Second)
				}
			})
		}
	}
}

type callEnds struct {
	A, B           *party
	toLegA, toLegB netip.AddrPort
}

func runCalls(b *testing.B, kind string, calls int, dur time.Duration) {
	ends := make([]callEnds, calls)
	var cleanup []func()
	defer func() {
		for _, f := range cleanup {
			f()
		}
	}()
	e := newTestEngine(b, func(c *Config) { c.PortMin, c.PortMax = 24000, 29999 })
	for i := range ends {
		A, B := newParty(b, partyAIP), newParty(b, partyBIP)
		ends[i] = callEnds{A: A, B: B}
		if kind == "plain" {
			f := newPlainForwarder(b, 30000+4*i, A.addr(), B.addr())
			cleanup = append(cleanup, f.close)
			ends[i].toLegA, ends[i].toLegB = f.entryA(), f.entryB()
			continue
		}
		la, err := e.NewLeg()
		if err != nil {
			b.Fatal(err)
		}
		lb, err := e.NewLeg()
		if err != nil {
			b.Fatal(err)
		}
		la.SetRemote(A.addr())
		lb.SetRemote(B.addr())
		if _, err := NewBridge(la, lb); err != nil {
			b.Fatal(err)
		}
		ends[i].toLegA, ends[i].toLegB = legAddr(la), legAddr(lb)
	}

	epoch := time.Now()
	var received atomic.Int64
	lat := make([][]time.Duration, 2*calls)
	var rwg sync.WaitGroup
	for i := range ends {
		for j, p := range []*party{ends[i].A, ends[i].B} {
			rwg.Add(1)
			go func(p *party, slot int) {
				defer rwg.Done()
				buf := make([]byte, maxPacket)
				for {
					n, _, err := p.rtp.ReadFromUDPAddrPort(buf)
					if err != nil {
						return
					}
					if n >= rtpHeaderLen+8 {
						sent := time.Duration(binary.BigEndian.Uint64(buf[rtpHeaderLen:]))
						lat[slot] = append(lat[slot], time.Since(epoch)-sent)
					}
					received.Add(1)
				}
			}(p, 2*i+j)
		}
	}

	// Generators: a few goroutines, each sending for its share of the
	// parties once every 20 ms.
	const gens = 4
	var sent atomic.Int64
	stop := make(chan struct{})
	var gwg sync.WaitGroup
	cpu0, wall0 := cpuTime(), time.Now()
	for g := range gens {
		gwg.Add(1)
		go func() {
			defer gwg.Done()
			payload := make([]byte, FrameSamples)
			pkt := make([]byte, rtpHeaderLen+FrameSamples)
			// Paced by absolute time: a late round is sent at once, so the
			// offered load stays at 50 packets a second a party unless the
			// CPU cannot keep up at all.
			for k := 1; ; k++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Until(wall0.Add(time.Duration(k) * FramePeriod))):
				}
				for i := g; i < calls; i += gens {
					for _, d := range []struct {
						p  *party
						to netip.AddrPort
					}{{ends[i].A, ends[i].toLegA}, {ends[i].B, ends[i].toLegB}} {
						binary.BigEndian.PutUint64(payload, uint64(time.Since(epoch)))
						pkt[0], pkt[1] = 0x80, PayloadPCMU
						binary.BigEndian.PutUint16(pkt[2:], d.p.seq)
						binary.BigEndian.PutUint32(pkt[4:], d.p.ts)
						binary.BigEndian.PutUint32(pkt[8:], d.p.ssrc)
						copy(pkt[rtpHeaderLen:], payload)
						d.p.seq++
						d.p.ts += FrameSamples
						if _, err := d.p.rtp.WriteToUDPAddrPort(pkt, d.to); err == nil {
							sent.Add(1)
						}
					}
				}
			}
		}()
	}
	time.Sleep(dur) // the load runs for this long: a measurement period, not a synchronisation
	close(stop)
	gwg.Wait()
	// Let the last packets through (bounded), then stop the clock.
	for deadline := time.Now().Add(time.Second); received.Load() < sent.Load() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	for i := range ends {
		ends[i].A.rtp.Close()
		ends[i].B.rtp.Close()
	}
	rwg.Wait()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	s, r := sent.Load(), received.Load()
	loss := 100 * float64(s-r) / float64(max(s, 1))
	b.ReportMetric(loss, "loss-%")
	b.ReportMetric(float64(cpu)/float64(wall)*100, "cpu-%")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(r, 1)), "cpu-ns/pkt")
	b.ReportMetric(float64(pct(0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(s)/wall.Seconds(), "pkt/s")
}
