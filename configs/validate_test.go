package configs

import (
	"testing"
	"time"
)

// TestValidateRefuses: one row per check of Validate, each naming its key.
func TestValidateRefuses(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		sentinel error
		mod      func(*Config)
	}{
		{"listen not host:port", "sip.listen", ErrBadValue, func(c *Config) { c.SIP.Listen = "5060" }},
		{"listen bad port", "sip.listen", ErrBadValue, func(c *Config) { c.SIP.Listen = "127.0.0.1:70000" }},
		{"advertise without port", "sip.advertise", ErrBadValue, func(c *Config) { c.SIP.Advertise = "sip.example.com" }},
		{"advertise port 0", "sip.advertise", ErrBadValue, func(c *Config) { c.SIP.Advertise = "sip.example.com:0" }},
		{"wildcard listen, no advertise", "sip.advertise", ErrConflict, func(c *Config) { c.SIP.Listen = "0.0.0.0:5060" }},
		{"caller_source", "sip.caller_source", ErrBadValue, func(c *Config) { c.SIP.CallerSource = "contact" }},
		{"udp_buffer", "sip.udp_buffer", ErrBadValue, func(c *Config) { c.SIP.UDPBuffer = -1 }},
		{"outbound without host", "trunk.outbound", ErrBadValue, func(c *Config) { c.Trunk.Outbound = ":5070" }},
		{"outbound port 0", "trunk.outbound", ErrBadValue, func(c *Config) { c.Trunk.Outbound = "127.0.0.1:0" }},
		{"transport", "trunk.transport", ErrBadValue, func(c *Config) { c.Trunk.Transport = "tls" }},
		{"number_format", "trunk.number_format", ErrBadValue, func(c *Config) { c.Trunk.NumberFormat = "E164" }},
		{"allowed CIDR", "trunk.allowed_sources", ErrBadValue, func(c *Config) { c.Trunk.AllowedSources = []string{"10.0.0.0/33"} }},
		{"trusted CIDR", "trunk.trusted_sources", ErrBadValue, func(c *Config) { c.Trunk.TrustedSources = []string{"localhost"} }},
		{"api listen", "api.listen", ErrBadValue, func(c *Config) { c.API.Listen = "127.0.0.1" }},
		{"tls cert without key", "api.tls_key", ErrConflict, func(c *Config) { c.API.TLSCert = "cert.pem" }},
		{"tls key without cert", "api.tls_key", ErrConflict, func(c *Config) { c.API.TLSKey = "key.pem" }},
		{"empty admin token", "api.admin_token", ErrRequired, func(c *Config) { c.API.AdminToken = " " }},
		{"rate limit", "api.rate_limit", ErrBadValue, func(c *Config) { c.API.RateLimit = 0 }},
		{"store dir", "store.dir", ErrRequired, func(c *Config) { c.Store.Dir = "" }},
		{"record dir", "record.dir", ErrRequired, func(c *Config) { c.Record.Dir = "" }},
		{"media mode", "media.mode", ErrBadValue, func(c *Config) { c.Media.Mode = "proxy" }},
		{"latching", "media.latching", ErrBadValue, func(c *Config) { c.Media.Latching = "loose" }},
		{"media address", "media.address", ErrBadValue, func(c *Config) { c.Media.Address = "localhost" }},
		{"wildcard media, no advertise", "media.advertise", ErrConflict, func(c *Config) { c.Media.Address = "0.0.0.0" }},
		{"media advertise", "media.advertise", ErrBadValue, func(c *Config) { c.Media.Advertise = "a b" }},
		{"rtp ports malformed", "media.rtp_ports", ErrBadValue, func(c *Config) { c.Media.RTPPorts = "20000" }},
		{"rtp ports reversed", "media.rtp_ports", ErrBadValue, func(c *Config) { c.Media.RTPPorts = "29999-20000" }},
		{"rtp ports odd start", "media.rtp_ports", ErrBadValue, func(c *Config) { c.Media.RTPPorts = "20001-29999" }},
		{"rtp ports too few", "media.rtp_ports", ErrBadValue, func(c *Config) { c.Media.RTPPorts = "20000-20001" }},
		{"rtp ports privileged", "media.rtp_ports", ErrBadValue, func(c *Config) { c.Media.RTPPorts = "1000-2000" }},
		{"rtp ports beyond 65535", "media.rtp_ports", ErrBadValue, func(c *Config) { c.Media.RTPPorts = "60000-70000" }},
		{"dtmf retries", "dtmf.retries", ErrBadValue, func(c *Config) { c.DTMF.Retries = -1 }},
		{"ring timeout", "sip.ring_timeout", ErrBadValue, func(c *Config) { c.SIP.RingTimeout = 0 }},
		{"drain timeout", "sip.drain_timeout", ErrBadValue, func(c *Config) { c.SIP.DrainTimeout = -time.Second }},
		{"max call duration", "sip.max_call_duration", ErrBadValue, func(c *Config) { c.SIP.MaxCallDuration = 0 }},
		{"t1", "sip.t1", ErrBadValue, func(c *Config) { c.SIP.T1 = 0 }},
		{"auth window", "api.auth_window", ErrBadValue, func(c *Config) { c.API.AuthWindow = 0 }},
		{"sweep interval", "store.sweep_interval", ErrBadValue, func(c *Config) { c.Store.SweepInterval = 0 }},
		{"media timeout", "media.timeout", ErrBadValue, func(c *Config) { c.Media.Timeout = 0 }},
		{"webhook parallel zero", "webhook.parallel", ErrBadValue, func(c *Config) { c.Webhook.Parallel = 0 }},
		{"webhook parallel huge", "webhook.parallel", ErrBadValue, func(c *Config) { c.Webhook.Parallel = 5000 }},
		{"webhook pipeline zero", "webhook.pipeline", ErrBadValue, func(c *Config) { c.Webhook.Pipeline = 0 }},
		{"webhook pipeline huge", "webhook.pipeline", ErrBadValue, func(c *Config) { c.Webhook.Pipeline = 65 }},
		{"first digit", "dtmf.first_digit", ErrBadValue, func(c *Config) { c.DTMF.FirstDigit = 0 }},
		{"inter digit", "dtmf.inter_digit", ErrBadValue, func(c *Config) { c.DTMF.InterDigit = 0 }},
		{"callin timeout", "xmode.callin_timeout", ErrBadValue, func(c *Config) { c.XMode.CallinTimeout = 0 }},
		{"webhook timeout", "webhook.timeout", ErrBadValue, func(c *Config) { c.Webhook.Timeout = 0 }},
		{"cdr retention", "cdr.retention", ErrBadValue, func(c *Config) { c.CDR.Retention = 0 }},
		{"cdr file size", "cdr.file_max_size", ErrBadValue, func(c *Config) { c.CDR.FileMaxSize = 100 }},
		{"cdr file keep", "cdr.file_keep", ErrBadValue, func(c *Config) { c.CDR.FileKeep = -1 }},
		{"record retention", "record.retention", ErrBadValue, func(c *Config) { c.Record.Retention = 0 }},
		{"plan pattern", "numberplan", ErrBadValue, func(c *Config) { c.NumberPlan.Mobile = []string{"1[3-9"} }},
		{"plan country code", "numberplan", ErrBadValue, func(c *Config) { c.NumberPlan.CountryCode = "+86" }},
		{"release key", "release.no-binding", ErrBadValue, func(c *Config) {
			c.Release = map[string]ReleaseOverride{"no-binding": {SIPStatus: 404}}
		}},
		{"release status", "release.8014.sip_status", ErrBadValue, func(c *Config) {
			c.Release = map[string]ReleaseOverride{"8014": {SIPStatus: 200}}
		}},
		{"release q850", "release.8014.q850", ErrBadValue, func(c *Config) {
			c.Release = map[string]ReleaseOverride{"8014": {Q850: 128}}
		}},
		{"b_failure key", "b_failure.200", ErrBadValue, func(c *Config) {
			c.BFailure = map[string]BFailureOverride{"200": {SIPStatus: 480}}
		}},
		{"b_failure cause", "b_failure.503.cause", ErrBadValue, func(c *Config) {
			c.BFailure = map[string]BFailureOverride{"503": {Cause: -1}}
		}},
		{"b_failure status", "b_failure.503.sip_status", ErrBadValue, func(c *Config) {
			c.BFailure = map[string]BFailureOverride{"503": {SIPStatus: 100}}
		}},
		{"log level", "log.level", ErrBadValue, func(c *Config) { c.Log.Level = "loud" }},
		{"log format", "log.format", ErrBadValue, func(c *Config) { c.Log.Format = "xml" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mod(&c)
			wantKey(t, c.Validate(), tt.key, tt.sentinel)
		})
	}
}

// TestValidateAccepts: settings that look unusual but are meant to work.
func TestValidateAccepts(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"free ports for tests": func(c *Config) { c.SIP.Listen, c.API.Listen = "127.0.0.1:0", "127.0.0.1:0" },
		"wildcard + advertise": func(c *Config) { c.SIP.Listen, c.SIP.Advertise = "0.0.0.0:5060", "sip.example.com:5060" },
		"IPv6":                 func(c *Config) { c.SIP.Listen, c.Trunk.Outbound = "[::1]:5060", "[::1]:5070" },
		"media wildcard + adv": func(c *Config) { c.Media.Address, c.Media.Advertise = "0.0.0.0", "192.0.2.1" },
		"bare address as CIDR": func(c *Config) { c.Trunk.AllowedSources = []string{"192.0.2.1", "::1"} },
		"national tcp from": func(c *Config) {
			c.Trunk.NumberFormat, c.Trunk.Transport, c.SIP.CallerSource = "national", "tcp", "from"
		},
		"passthrough symmetric": func(c *Config) { c.Media.Mode, c.Media.Latching = "passthrough", "symmetric" },
		"tls pair":              func(c *Config) { c.API.TLSCert, c.API.TLSKey = "c.pem", "k.pem" },
		"smallest rtp range":    func(c *Config) { c.Media.RTPPorts = "40000-40003" },
		"overrides":             func(c *Config) { c.Release = map[string]ReleaseOverride{"8014": {SIPStatus: 404, Q850: 1}} },
		"log upper case":        func(c *Config) { c.Log.Level, c.Log.Format = "DEBUG", "JSON" },
	} {
		c := valid()
		mod(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
