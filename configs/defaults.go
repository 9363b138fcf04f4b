package configs

import (
	"time"

	"github.com/xnum/xnum/routing"
)

// day is the unit of the "d" suffix that retention keys use ("90d").
const day = 24 * time.Hour

// Default returns the built-in configuration: every default of SPEC §8 in
// one place. It is not valid as it stands: api.admin_token has no default
// and must be set (configs/xnum.yaml sets one for the demo).
func Default() Config {
	plan := routing.DefaultPlanConfig()
	return Config{
		SIP: SIP{
			Listen:          "127.0.0.1:5060",
			Advertise:       "", // = Listen
			CallerSource:    CallerPAI,
			RingTimeout:     90 * time.Second,
			DrainTimeout:    30 * time.Second,
			MaxCallDuration: 4 * time.Hour,
			T1:              500 * time.Millisecond, // RFC 3261 §17.1.1.1
		},
		Trunk: Trunk{
			Outbound:       "127.0.0.1:5070",
			Transport:      "udp",
			NumberFormat:   FormatE164,
			BLegPAI:        true,
			AllowedSources: []string{}, // any
			TrustedSources: []string{"127.0.0.0/8"},
		},
		API: API{
			Listen:     "127.0.0.1:8080",
			AuthWindow: 300 * time.Second,
			RateLimit:  100,
		},
		Store: Store{Dir: "./data", SweepInterval: 10 * time.Second},
		Media: Media{
			Mode:       MediaRelay,
			Address:    "127.0.0.1",
			RTPPorts:   "20000-29999",
			Timeout:    60 * time.Second,
			Latching:   LatchStrict,
			Quarantine: 5 * time.Second,
			PromptDir:  "",
		},
		DTMF:    DTMF{FirstDigit: 10 * time.Second, InterDigit: 5 * time.Second, Retries: 2},
		XMode:   XMode{CallinTimeout: 3 * time.Second},
		Webhook: Webhook{Timeout: 5 * time.Second, Parallel: 128, Pipeline: 8},
		CDR:     CDR{File: "", FileMaxSize: 100 << 20, FileKeep: 5, Retention: 90 * day},
		Record:  Record{Dir: "./data/recordings", Retention: 7 * day},
		NumberPlan: NumberPlan{
			CountryCode:         plan.CountryCode,
			NationalPrefix:      plan.NationalPrefix,
			InternationalPrefix: plan.InternationalPrefix,
			Mobile:              plan.Mobile,
			Fixed:               plan.Fixed,
			Service:             plan.Service,
		},
		Demo: Demo{Enabled: false},
		Log:  Log{Level: "info", Format: "text"},
	}
}

// The enumerated values of the config.
const (
	CallerPAI        = "pai"
	CallerFrom       = "from"
	FormatE164       = "e164"
	FormatNational   = "national"
	MediaRelay       = "relay"
	MediaPassthrough = "passthrough"
	LatchStrict      = "strict"
	LatchSymmetric   = "symmetric"
)
