package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// CDRSink receives one record per call attempt (SPEC §6.2). cdr.Recorder
// implements it; Emit must have persisted the record when it returns.
type CDRSink interface {
	Emit(cdr.Record) error
}

// Deps is everything the B2BUA needs; cmd/xnum wires it.
type Deps struct {
	SIP   configs.SIP
	Trunk configs.Trunk
	Plan  *routing.Plan
	Table *routing.Table
	// Lookup is the store's view for routing.Decide.
	Lookup routing.Lookup
	// IsX reports whether a number is an X of the platform (SPEC §2 loop
	// guard). nil means no number is.
	IsX func(routing.Number) bool
	CDR CDRSink
	// Events receives the call events of SPEC §6.1 (cdr.Dispatcher); nil
	// reports none. Calls persists answered calls (store.Store); nil keeps
	// them in memory only. See events.go.
	Events EventSink
	Calls  CallStore
	// Media is the RTP engine (SPEC §4.3). nil is signalling only: SDP
	// passes between the parties with xnum's o= (it exposes their media
	// addresses) and nothing is ever played.
	Media *media.Engine
	// MediaMode is media.mode: "relay" (the default) anchors every call's
	// RTP on xnum; "passthrough" relays SDP and anchors only the calls that
	// must play something (preVoice, lastMinVoice) or a rejected call's
	// prompt.
	MediaMode string
	// MediaAddr is the address put in xnum's SDP (media.advertise); ""
	// takes the engine's address.
	MediaAddr string
	// Prompts finds the audio of prompts (SPEC §4.3); nil plays none.
	Prompts PromptBook
	// Callin asks X-mode enterprises where a call goes (SPEC §3,
	// CallinClient); nil refuses X-mode calls with 8014. DTMF holds the
	// dtmf.* timers of AXE extension collection (zero values: SPEC §4.3's
	// defaults).
	Callin Callin
	DTMF   configs.DTMF
	// RecordDir is record.dir: calls with recordFlag, whose app allows
	// recording, are recorded there as <appKey>/<sessionId>.wav (SPEC
	// §4.3; the CDR's recordObjectName is <sessionId>.wav); "" records
	// nothing. RecordDomain goes into the CDR's recordDomain.
	RecordDir, RecordDomain string
	// testCollect makes a call collect digits after routing (tests only:
	// the seam the AXE mode's routing will use, collect.go).
	testCollect func(*call) *collectSpec
	// LastMinuteLead is how long before the end of a timed call
	// lastMinVoice plays (SPEC §3 item 4: one minute, the zero value).
	LastMinuteLead time.Duration
	// Registerer receives the call metrics; nil registers nothing.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Now is the clock of CDR times; nil is time.Now.
	Now func() time.Time
}

// Defaults applied to zero config values, so that a partly filled
// configs.SIP (tests, embedding) still behaves as SPEC §8 says.
const (
	defaultT1              = 500 * time.Millisecond
	defaultRingTimeout     = 90 * time.Second
	defaultDrainTimeout    = 30 * time.Second
	defaultMaxCallDuration = 4 * time.Hour
)

// Server is the B2BUA. It is safe for concurrent use; two servers in one
// process share nothing.
type Server struct {
	d   Deps
	log *slog.Logger
	now func() time.Time
	m   *metrics
	ev  serverEvents // events.go

	ua  *sipgo.UserAgent
	tp  *sip.TransportLayer
	txl *sip.TransactionLayer

	// Settings derived from the config by NewServer.
	t1, t2, ringTimeout, drainTimeout, maxCall time.Duration
	callerFromOnly                             bool
	national                                   bool
	bLegPAI                                    bool
	allowed, trusted                           prefixSet
	outHost                                    string
	outPort                                    int
	outIP                                      netip.Addr
	outTransport                               string // "UDP" or "TCP"
	relayAll                                   bool   // media.mode relay with an engine
	mediaAddr                                  string // address in xnum's SDP
	lastMinLead                                time.Duration

	// Settings known once Start has bound the sockets.
	addr       string // actual listen address host:port
	advHost    string
	advPort    int
	udpLaddr   sip.Addr // B legs and A-leg requests leave from the listener
	contactUDP *sip.ContactHeader
	contactTCP *sip.ContactHeader

	allowHdr sip.Header // Allow, shared by every message and never modified

	dialogs  sync.Map // dialogKey → *legRef
	calls    sync.Map // *call → struct{}
	cancels  sync.Map // cancelKey of a UDP INVITE → *call, until the call ends
	parser   *sip.Parser
	active   atomic.Int64
	draining atomic.Bool   // new INVITEs get 503
	ending   atomic.Bool   // calls created from now on release at once
	idle     chan struct{} // pinged when active drops to 0 while draining
	ids      idGen

	mu       sync.Mutex
	started  bool
	closed   bool
	stop     context.CancelFunc
	udpConn  net.PacketConn
	tcpLn    net.Listener
	serveWG  sync.WaitGroup
	closeOne sync.Once
}

// NewServer checks the dependencies and the config and builds a server that
// is not yet listening.
func NewServer(d Deps) (*Server, error) {
	if d.Plan == nil || d.Table == nil || d.Lookup == nil || d.CDR == nil {
		return nil, fmt.Errorf("%w: Plan, Table, Lookup and CDR are required", ErrMissingDeps)
	}
	s := &Server{d: d, now: d.Now, idle: make(chan struct{}, 1)}
	// Every log line — xnum's and sipgo's, which quotes whole messages —
	// goes through a handler that masks digit runs: logs never carry a full
	// number (STYLE.md).
	if d.Logger == nil {
		s.log = slog.New(slog.DiscardHandler)
	} else {
		s.log = slog.New(maskingHandler{d.Logger.Handler()})
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.d.IsX == nil {
		s.d.IsX = func(routing.Number) bool { return false }
	}
	if err := s.configure(); err != nil {
		return nil, err
	}
	s.ids = newIDGen()
	s.parser = sip.NewParser()
	s.allowHdr = sip.NewHeader("Allow", allowed)
	m, err := newMetrics(d.Registerer, s.ActiveCalls)
	if err != nil {
		return nil, err
	}
	s.m = m
	if err := s.initEvents(); err != nil {
		return nil, err
	}

	sipLog := s.log
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("xnum"),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(sipLog),
			sip.WithTransportLayerReadFilter(s.readFilter),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(s.onStrayResponse),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	s.ua, s.tp, s.txl = ua, ua.TransportLayer(), ua.TransactionLayer()
	s.txl.OnRequest(s.onRequest)
	s.tp.OnMessage(s.noteProvisional) // after the transaction layer's (early.go)
	return s, nil
}

func (s *Server) configure() error {
	c, t := s.d.SIP, s.d.Trunk
	s.t1 = orDefault(c.T1, defaultT1)
	s.t2 = 8 * s.t1 // RFC 3261 T2 = 4 s = 8 × the default T1
	s.ringTimeout = orDefault(c.RingTimeout, defaultRingTimeout)
	s.drainTimeout = orDefault(c.DrainTimeout, defaultDrainTimeout)
	s.maxCall = orDefault(c.MaxCallDuration, defaultMaxCallDuration)
	switch strings.ToLower(c.CallerSource) {
	case "", "pai":
	case "from":
		s.callerFromOnly = true
	default:
		return fmt.Errorf("%w: sip.caller_source %q is neither pai nor from", ErrConfig, c.CallerSource)
	}
	switch strings.ToLower(t.NumberFormat) {
	case "", "e164":
	case "national":
		s.national = true
	default:
		return fmt.Errorf("%w: trunk.number_format %q is neither e164 nor national", ErrConfig, t.NumberFormat)
	}
	switch strings.ToLower(t.Transport) {
	case "", "udp":
		s.outTransport = "UDP"
	case "tcp":
		s.outTransport = "TCP"
	default:
		return fmt.Errorf("%w: trunk.transport %q is neither udp nor tcp", ErrConfig, t.Transport)
	}
	s.bLegPAI = t.BLegPAI
	switch strings.ToLower(s.d.MediaMode) {
	case "", MediaRelay:
		s.relayAll = s.d.Media != nil
	case MediaPassthrough:
	default:
		return fmt.Errorf("%w: media.mode %q is neither relay nor passthrough", ErrConfig, s.d.MediaMode)
	}
	s.mediaAddr = s.d.MediaAddr
	if s.mediaAddr == "" && s.d.Media != nil {
		s.mediaAddr = s.d.Media.Address().String()
	}
	if !SafeHeaderValue(s.mediaAddr) || strings.ContainsAny(s.mediaAddr, " \t") {
		return fmt.Errorf("%w: media address %q", ErrConfig, s.mediaAddr)
	}
	s.lastMinLead = orDefault(s.d.LastMinuteLead, time.Minute)
	var err error
	if s.allowed, err = parsePrefixes("trunk.allowed_sources", t.AllowedSources); err != nil {
		return err
	}
	if s.trusted, err = parsePrefixes("trunk.trusted_sources", t.TrustedSources); err != nil {
		return err
	}
	host, port, err := splitHostPort(t.Outbound, 5060)
	if err != nil {
		return fmt.Errorf("%w: trunk.outbound: %w", ErrConfig, err)
	}
	s.outHost, s.outPort = host, port
	if ip, err := netip.ParseAddr(host); err == nil {
		s.outIP = ip.Unmap()
	} else if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
		s.outIP, _ = netip.AddrFromSlice(ips[0])
		s.outIP = s.outIP.Unmap()
	}
	if !SafeHeaderValue(host) {
		return fmt.Errorf("%w: trunk.outbound: %w", ErrConfig, ErrHeaderInjection)
	}
	if _, _, err := splitHostPort(c.Listen, 5060); err != nil {
		return fmt.Errorf("%w: sip.listen: %w", ErrConfig, err)
	}
	if c.Advertise != "" {
		if _, _, err := splitHostPort(c.Advertise, 0); err != nil || !SafeHeaderValue(c.Advertise) {
			return fmt.Errorf("%w: sip.advertise %q", ErrConfig, c.Advertise)
		}
	}
	return nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// splitHostPort accepts "host:port", "host" (port def) and IPv6 in brackets.
func splitHostPort(hp string, def int) (string, int, error) {
	if hp == "" {
		return "", 0, fmt.Errorf("empty address")
	}
	host, ps, err := net.SplitHostPort(hp)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return strings.Trim(hp, "[]"), def, nil
		}
		return "", 0, err
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port %q", ps)
	}
	return host, p, nil
}

// Addr is the address the server listens on (UDP and TCP share the port);
// "" before Start. With port 0 in sip.listen it tells which port was picked.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ActiveCalls is the number of calls whose event loop is running.
func (s *Server) ActiveCalls() int { return int(s.active.Load()) }
