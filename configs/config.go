// Package configs owns xnum's configuration: one typed Config with every key
// of SPEC §8 and its default, loaded from YAML with viper, overridden by
// XNUM_* environment variables, and checked by Validate before anything starts.
package configs

import (
	"time"
)

// Config is the whole configuration. Keys are the SPEC §8 names; the
// mapstructure tags are those keys' last segment.
type Config struct {
	SIP        SIP        `mapstructure:"sip"`
	Trunk      Trunk      `mapstructure:"trunk"`
	API        API        `mapstructure:"api"`
	Store      Store      `mapstructure:"store"`
	Media      Media      `mapstructure:"media"`
	DTMF       DTMF       `mapstructure:"dtmf"`
	XMode      XMode      `mapstructure:"xmode"`
	Webhook    Webhook    `mapstructure:"webhook"`
	CDR        CDR        `mapstructure:"cdr"`
	Record     Record     `mapstructure:"record"`
	NumberPlan NumberPlan `mapstructure:"numberplan"`
	Demo       Demo       `mapstructure:"demo"`
	Log        Log        `mapstructure:"log"`
	// Release overrides rows of the release-cause table (SPEC §4.2), keyed by
	// cause code, e.g. {"8014": {"sip_status": 404, "q850": 1}}.
	Release map[string]ReleaseOverride `mapstructure:"release"`
	// BFailure overrides rows of the map of B's final statuses (SPEC §4.2),
	// keyed by B's SIP status, e.g. {"503": {"cause": 7506, "sip_status": 480}}.
	BFailure map[string]BFailureOverride `mapstructure:"b_failure"`
}

// SIP is the B2BUA's signalling side.
type SIP struct {
	Listen          string        `mapstructure:"listen"`            // host:port for UDP and TCP
	Advertise       string        `mapstructure:"advertise"`         // host:port in Via/Contact; "" = Listen
	CallerSource    string        `mapstructure:"caller_source"`     // "pai" or "from"
	RingTimeout     time.Duration `mapstructure:"ring_timeout"`      // no answer from B → 8035
	DrainTimeout    time.Duration `mapstructure:"drain_timeout"`     // SIGTERM: calls may finish within this
	MaxCallDuration time.Duration `mapstructure:"max_call_duration"` // global cap → 8010
	T1              time.Duration `mapstructure:"t1"`                // RFC 3261 T1; missing ACK after 64·T1
	UDPBuffer       int           `mapstructure:"udp_buffer"`        // SO_RCVBUF/SO_SNDBUF bytes, 0 = OS default
}

// Trunk describes SIP peers.
type Trunk struct {
	Outbound       string   `mapstructure:"outbound"`        // host:port where B legs go
	Transport      string   `mapstructure:"transport"`       // udp or tcp
	NumberFormat   string   `mapstructure:"number_format"`   // e164 or national
	BLegPAI        bool     `mapstructure:"b_leg_pai"`       // P-Asserted-Identity = X on the B leg
	AllowedSources []string `mapstructure:"allowed_sources"` // CIDRs; empty = any
	TrustedSources []string `mapstructure:"trusted_sources"` // CIDRs whose PAI is believed
}

// API is the HTTP management and admin API.
type API struct {
	Listen     string        `mapstructure:"listen"`
	TLSCert    string        `mapstructure:"tls_cert"`
	TLSKey     string        `mapstructure:"tls_key"`
	AuthWindow time.Duration `mapstructure:"auth_window"` // |now − Created| allowed
	AdminToken string        `mapstructure:"admin_token"`
	RateLimit  int           `mapstructure:"rate_limit"` // requests per second per app
}

// Store is the Pebble directory.
type Store struct {
	Dir           string        `mapstructure:"dir"`
	SweepInterval time.Duration `mapstructure:"sweep_interval"` // expired-binding sweep
}

// Media is the RTP side (the media issue fills it in).
type Media struct {
	Mode      string        `mapstructure:"mode"` // relay or passthrough
	Address   string        `mapstructure:"address"`
	Advertise string        `mapstructure:"advertise"`
	RTPPorts  string        `mapstructure:"rtp_ports"` // "20000-29999"
	Timeout   time.Duration `mapstructure:"timeout"`
	Latching  string        `mapstructure:"latching"` // strict or symmetric
	// Quarantine is how long a released RTP port rests before another call
	// gets it, so late packets of the last call drain into a closed port.
	Quarantine time.Duration `mapstructure:"quarantine"`
	// PromptDir holds NAME.wav files that add to or replace the built-in
	// prompts embedded in the binary; "" = the built-in set alone.
	PromptDir string `mapstructure:"prompt_dir"`
}

// DTMF timers of the AXE collector.
type DTMF struct {
	FirstDigit time.Duration `mapstructure:"first_digit"`
	InterDigit time.Duration `mapstructure:"inter_digit"`
	Retries    int           `mapstructure:"retries"`
}

// XMode is the X-mode callin webhook.
type XMode struct {
	CallinTimeout time.Duration `mapstructure:"callin_timeout"`
}

// Webhook delivery.
type Webhook struct {
	Timeout  time.Duration `mapstructure:"timeout"`
	Parallel int           `mapstructure:"parallel"` // connections per app, each with a push (or a burst) in flight
	Pipeline int           `mapstructure:"pipeline"` // pushes one connection carries at once to a fast receiver; 1 = one at a time
}

// CDR keeping.
type CDR struct {
	File        string        `mapstructure:"file"`          // JSON lines; "" = off
	FileMaxSize int64         `mapstructure:"file_max_size"` // bytes; cdr.file is rotated before it would pass this
	FileKeep    int           `mapstructure:"file_keep"`     // rotated files kept (file.1 … file.N); 0 = none kept
	Retention   time.Duration `mapstructure:"retention"`     // local retention
}

// Record is call recording.
type Record struct {
	Dir       string        `mapstructure:"dir"`
	Retention time.Duration `mapstructure:"retention"`
}

// NumberPlan is the data of routing.PlanConfig.
type NumberPlan struct {
	CountryCode         string   `mapstructure:"country_code"`
	NationalPrefix      string   `mapstructure:"national_prefix"`
	InternationalPrefix string   `mapstructure:"international_prefix"`
	Mobile              []string `mapstructure:"mobile"`
	Fixed               []string `mapstructure:"fixed"`
	Service             []string `mapstructure:"service"`
}

// Demo provisions the demo app of SPEC §8 at start.
type Demo struct {
	Enabled bool `mapstructure:"enabled"`
}

// Log settings.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// ReleaseOverride replaces the SIP status and/or Q.850 cause of one row.
type ReleaseOverride struct {
	SIPStatus int `mapstructure:"sip_status"`
	Q850      int `mapstructure:"q850"`
}

// BFailureOverride replaces the cause, the SIP status towards A and/or the
// Q.850 cause towards A of one of B's final statuses; 0 keeps the built-in.
type BFailureOverride struct {
	Cause     int `mapstructure:"cause"`
	SIPStatus int `mapstructure:"sip_status"`
	Q850      int `mapstructure:"q850"`
}
