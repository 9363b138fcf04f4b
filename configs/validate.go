package configs

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/xnum/xnum/routing"
)

// Validate checks every key and the combinations of keys, and returns the
// first problem as a *KeyError naming the key. xnum refuses to start on any
// error (issue 2: "conflicting settings refused at start").
func (c Config) Validate() error {
	for _, check := range []func() error{
		c.validateSIP, c.validateTrunk, c.validateAPI, c.validateStore, c.validateMedia,
		c.validateTimers, c.validatePlan, c.validateRelease, c.validateLog, c.validateCDR,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func bad(key, format string, args ...any) error {
	return &KeyError{Key: key, Err: fmt.Errorf("%w: "+format, append([]any{ErrBadValue}, args...)...)}
}

func conflict(key, format string, args ...any) error {
	return &KeyError{Key: key, Err: fmt.Errorf("%w: "+format, append([]any{ErrConflict}, args...)...)}
}

// hostPort checks "host:port". A listen address may have port 0 (the OS
// picks one, as tests do) and an empty host (every interface); an address
// others connect to (listen=false) needs both.
func hostPort(key, s string, listen bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return bad(key, "%q is not host:port", s)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || (!listen && p == 0) {
		return bad(key, "%q: bad port", s)
	}
	if host == "" && !listen {
		return bad(key, "%q: no host", s)
	}
	if strings.ContainsAny(host, " /\r\n") {
		return bad(key, "%q: bad host", s)
	}
	return nil
}

// unspecified reports whether a listen address binds every interface, which
// cannot be advertised to a peer.
func unspecified(hostport string) bool {
	host, _, _ := net.SplitHostPort(hostport)
	if host == "" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}

func oneOf(key, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

func (c Config) validateSIP() error {
	if err := hostPort("sip.listen", c.SIP.Listen, true); err != nil {
		return err
	}
	if c.SIP.Advertise != "" {
		if err := hostPort("sip.advertise", c.SIP.Advertise, false); err != nil {
			return err
		}
	} else if unspecified(c.SIP.Listen) {
		return conflict("sip.advertise", "must be set when sip.listen %q binds every interface", c.SIP.Listen)
	}
	if c.SIP.UDPBuffer < 0 {
		return bad("sip.udp_buffer", "%d is negative", c.SIP.UDPBuffer)
	}
	return oneOf("sip.caller_source", c.SIP.CallerSource, CallerPAI, CallerFrom)
}

func (c Config) validateTrunk() error {
	if err := hostPort("trunk.outbound", c.Trunk.Outbound, false); err != nil {
		return err
	}
	if err := oneOf("trunk.transport", c.Trunk.Transport, "udp", "tcp"); err != nil {
		return err
	}
	if err := oneOf("trunk.number_format", c.Trunk.NumberFormat, FormatE164, FormatNational); err != nil {
		return err
	}
	if _, err := prefixes("trunk.allowed_sources", c.Trunk.AllowedSources); err != nil {
		return err
	}
	_, err := prefixes("trunk.trusted_sources", c.Trunk.TrustedSources)
	return err
}

// prefixes parses CIDRs; a bare address counts as a one-address prefix.
func prefixes(key string, list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, bad(key, "%q is no CIDR or address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (c Config) validateAPI() error {
	if err := hostPort("api.listen", c.API.Listen, true); err != nil {
		return err
	}
	if (c.API.TLSCert == "") != (c.API.TLSKey == "") {
		return conflict("api.tls_key", "api.tls_cert and api.tls_key go together")
	}
	if strings.TrimSpace(c.API.AdminToken) == "" {
		return &KeyError{Key: "api.admin_token", Err: fmt.Errorf("%w: set a secret token (XNUM_API_ADMIN_TOKEN)", ErrRequired)}
	}
	if c.API.RateLimit <= 0 {
		return bad("api.rate_limit", "%d is not positive", c.API.RateLimit)
	}
	return nil
}

func (c Config) validateStore() error {
	if c.Store.Dir == "" {
		return &KeyError{Key: "store.dir", Err: ErrRequired}
	}
	if c.Record.Dir == "" {
		return &KeyError{Key: "record.dir", Err: ErrRequired}
	}
	return nil
}

func (c Config) validateMedia() error {
	if err := oneOf("media.mode", c.Media.Mode, MediaRelay, MediaPassthrough); err != nil {
		return err
	}
	if err := oneOf("media.latching", c.Media.Latching, LatchStrict, LatchSymmetric); err != nil {
		return err
	}
	a, err := netip.ParseAddr(c.Media.Address)
	if err != nil {
		return bad("media.address", "%q is no IP address", c.Media.Address)
	}
	if c.Media.Advertise == "" && a.IsUnspecified() {
		return conflict("media.advertise", "must be set when media.address %q binds every interface", c.Media.Address)
	}
	if c.Media.Advertise != "" && strings.ContainsAny(c.Media.Advertise, " :/\r\n") && !isIP(c.Media.Advertise) {
		return bad("media.advertise", "%q is no host or address", c.Media.Advertise)
	}
	if _, _, err := c.RTPPortRange(); err != nil {
		return err
	}
	if c.DTMF.Retries < 0 {
		return bad("dtmf.retries", "%d is negative", c.DTMF.Retries)
	}
	return nil
}

func isIP(s string) bool { _, err := netip.ParseAddr(s); return err == nil }

// minRTPPorts is the smallest media.rtp_ports range: two RTP/RTCP pairs, one
// call's two legs (RFC 3550 §11: RTP on an even port, RTCP on the next).
const minRTPPorts = 4

// RTPPortRange parses media.rtp_ports ("20000-29999"): the first port must
// be even (RTP even, RTCP odd, RFC 3550 §11), at least 1024, and the range
// hold at least two pairs.
func (c Config) RTPPortRange() (lo, hi int, err error) {
	const key = "media.rtp_ports"
	l, h, ok := strings.Cut(c.Media.RTPPorts, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(l))
	hi, err2 := strconv.Atoi(strings.TrimSpace(h))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return 0, 0, bad(key, "%q is not LOW-HIGH", c.Media.RTPPorts)
	case lo < 1024 || hi > 65535 || lo > hi:
		return 0, 0, bad(key, "%q is not within 1024-65535", c.Media.RTPPorts)
	case lo%2 != 0:
		return 0, 0, bad(key, "%q starts on an odd port; RTP takes even ports", c.Media.RTPPorts)
	case hi-lo+1 < minRTPPorts:
		return 0, 0, bad(key, "%q holds fewer than %d ports", c.Media.RTPPorts, minRTPPorts)
	}
	return lo, hi, nil
}

// validateTimers refuses non-positive timers: each of them bounds something
// (a call, a wait, a retention) and 0 would mean "at once", never "off".
func (c Config) validateTimers() error {
	for _, t := range []struct {
		key string
		d   time.Duration
	}{
		{"sip.ring_timeout", c.SIP.RingTimeout},
		{"sip.drain_timeout", c.SIP.DrainTimeout},
		{"sip.max_call_duration", c.SIP.MaxCallDuration},
		{"sip.t1", c.SIP.T1},
		{"api.auth_window", c.API.AuthWindow},
		{"store.sweep_interval", c.Store.SweepInterval},
		{"media.timeout", c.Media.Timeout},
		{"media.quarantine", c.Media.Quarantine},
		{"dtmf.first_digit", c.DTMF.FirstDigit},
		{"dtmf.inter_digit", c.DTMF.InterDigit},
		{"xmode.callin_timeout", c.XMode.CallinTimeout},
		{"webhook.timeout", c.Webhook.Timeout},
		{"cdr.retention", c.CDR.Retention},
		{"record.retention", c.Record.Retention},
	} {
		if t.d <= 0 {
			return bad(t.key, "%v is not positive", t.d)
		}
	}
	return nil
}

// validateCDR checks webhook.parallel and webhook.pipeline and cdr.file's rotation: a file must hold at least one
// record (a CDR line is about 1 KiB), and file_keep bounds the disk used to
// (file_keep+1) × file_max_size.
func (c Config) validateCDR() error {
	if c.Webhook.Parallel < 1 || c.Webhook.Parallel > 4096 {
		return bad("webhook.parallel", "%d is not 1–4096", c.Webhook.Parallel)
	}
	if c.Webhook.Pipeline < 1 || c.Webhook.Pipeline > 64 {
		return bad("webhook.pipeline", "%d is not 1–64", c.Webhook.Pipeline)
	}
	if c.CDR.FileMaxSize < 4096 {
		return bad("cdr.file_max_size", "%d bytes is less than 4096", c.CDR.FileMaxSize)
	}
	if c.CDR.FileKeep < 0 || c.CDR.FileKeep > 1000 {
		return bad("cdr.file_keep", "%d is not 0–1000", c.CDR.FileKeep)
	}
	return nil
}

func (c Config) validatePlan() error {
	if _, err := routing.NewPlan(c.PlanConfig()); err != nil {
		return &KeyError{Key: "numberplan", Err: fmt.Errorf("%w: %w", ErrBadValue, err)}
	}
	return nil
}

func (c Config) validateRelease() error {
	if _, err := c.releaseOverrides(); err != nil {
		return err
	}
	_, err := c.bFailureOverrides()
	return err
}

func (c Config) validateLog() error {
	if err := oneOf("log.level", strings.ToLower(c.Log.Level), "debug", "info", "warn", "error"); err != nil {
		return err
	}
	return oneOf("log.format", strings.ToLower(c.Log.Format), "text", "json")
}
