package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/emiago/sipgo/sip"
)

// Start binds UDP and TCP on sip.listen (the same port for both; port 0
// picks a free one, see Addr) and serves in the background. It returns once
// both sockets listen. Cancelling ctx closes the server like Close.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.started {
		return ErrStarted
	}
	host, port, _ := splitHostPort(s.d.SIP.Listen, 5060)
	udp, tcp, err := listenPair(host, port)
	if err != nil {
		return fmt.Errorf("sip: listen %s: %w", s.d.SIP.Listen, err)
	}
	if b := s.d.SIP.UDPBuffer; b > 0 {
		// SO_RCVBUF/SO_SNDBUF: a burst of INVITEs must not overflow the
		// kernel queue before the read loop drains it.
		_ = udp.SetReadBuffer(b)
		_ = udp.SetWriteBuffer(b)
	}
	laddr := udp.LocalAddr().(*net.UDPAddr)
	s.addr = net.JoinHostPort(host, strconv.Itoa(laddr.Port))
	s.advHost, s.advPort = host, laddr.Port
	if a := s.d.SIP.Advertise; a != "" {
		h, p, _ := splitHostPort(a, 0)
		s.advHost = h
		if p != 0 {
			s.advPort = p
		}
	}
	if ip, err := netip.ParseAddr(s.advHost); err == nil && ip.IsUnspecified() {
		s.advHost = "127.0.0.1"
		s.log.Warn("sip.advertise unset and sip.listen is a wildcard: advertising 127.0.0.1")
	}
	s.udpLaddr = sip.Addr{IP: laddr.IP, Port: laddr.Port}
	s.contactUDP = s.newContact("")
	s.contactTCP = s.newContact("tcp")

	// The listener is in sipgo's UDP pool before its read loop runs, so a B
	// leg sent right away already leaves from the listening port.
	s.tp.Pool("udp").Add(udp.LocalAddr().String(),
		&sip.UDPConnection{PacketConn: udp, PacketAddr: udp.LocalAddr().String(), Listener: true})

	s.udpConn, s.tcpLn = udp, &sourceListener{Listener: tcp, s: s}
	ctx, s.stop = context.WithCancel(ctx)
	s.started = true
	s.serveWG.Add(3)
	go func() { defer s.serveWG.Done(); _ = s.tp.ServeUDP(udp) }()
	go func() { defer s.serveWG.Done(); _ = s.tp.ServeTCP(s.tcpLn) }()
	go func() {
		defer s.serveWG.Done()
		<-ctx.Done()
		go s.Close()
	}()
	s.log.Info("sip listening", "addr", s.addr, "advertise", net.JoinHostPort(s.advHost, strconv.Itoa(s.advPort)))
	return nil
}

// listenPair binds UDP and TCP on one port. With port 0 the kernel picks the
// UDP port and TCP tries the same; a clash is retried a few times.
func listenPair(host string, port int) (*net.UDPConn, *net.TCPListener, error) {
	ip := net.ParseIP(host)
	if ip == nil && host != "" {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return nil, nil, fmt.Errorf("resolve %q: %w", host, err)
		}
		ip = ips[0]
	}
	var lastErr error
	for range 20 {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
		if err != nil {
			return nil, nil, err
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: p})
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		lastErr = err
		if port != 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, nil, lastErr
}

func (s *Server) newContact(transport string) *sip.ContactHeader {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "xnum", Host: s.advHost, Port: s.advPort}}
	if transport != "" {
		c.Address.UriParams = sip.HeaderParams{{K: "transport", V: transport}}
	}
	return c
}

// prefixSet is a list of CIDRs (SPEC §4.1 trunk.allowed_sources,
// trunk.trusted_sources). Bare addresses count as /32 or /128.
type prefixSet []netip.Prefix

func parsePrefixes(key string, in []string) (prefixSet, error) {
	var out prefixSet
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %q is no CIDR or address", ErrConfig, key, v)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (ps prefixSet) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// admitted reports whether packets from a may reach the stack: any source
// when allowed_sources is empty, else a listed one or the outbound trunk
// (whose answers and in-dialog requests must always get in).
func (s *Server) admitted(a netip.Addr) bool {
	if len(s.allowed) == 0 {
		return true
	}
	a = a.Unmap()
	return a == s.outIP || s.allowed.contains(a)
}

// readFilter drops datagrams from sources that are not admitted before they
// are parsed: silently, as SPEC §4.1 asks.
// It also takes UDP CANCELs out of the stream (cancel.go).
func (s *Server) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if len(s.allowed) != 0 && !s.admitted(addrOf(p.RemoteAddr)) {
		s.m.dropped.Inc()
		return nil, nil
	}
	if p.Transport == "UDP" {
		if msg := bytes.TrimLeft(data, "\r\n"); bytes.HasPrefix(msg, cancelPrefix) {
			s.interceptCancel(p.RemoteAddr, msg)
			return nil, nil
		}
	}
	return data, nil
}

var cancelPrefix = []byte("CANCEL ")

func addrOf(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// sourceListener closes TCP connections from sources that are not admitted
// as soon as they are accepted.
type sourceListener struct {
	net.Listener
	s *Server
}

func (l *sourceListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.s.admitted(addrOf(c.RemoteAddr())) {
			return c, nil
		}
		l.s.m.dropped.Inc()
		c.Close()
	}
}
