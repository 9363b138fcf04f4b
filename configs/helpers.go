package configs

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/xnum/xnum/routing"
)

// PlanConfig is the number plan of numberplan.* for routing.NewPlan.
func (c Config) PlanConfig() routing.PlanConfig {
	n := c.NumberPlan
	return routing.PlanConfig{
		CountryCode:         n.CountryCode,
		NationalPrefix:      n.NationalPrefix,
		InternationalPrefix: n.InternationalPrefix,
		Mobile:              n.Mobile,
		Fixed:               n.Fixed,
		Service:             n.Service,
	}
}

// SIPAdvertise is the host:port put in Via and Contact: sip.advertise, or
// sip.listen when it is empty (SPEC §8).
func (c Config) SIPAdvertise() string {
	if c.SIP.Advertise != "" {
		return c.SIP.Advertise
	}
	return c.SIP.Listen
}

// MediaAdvertise is the address offered in SDP: media.advertise, or
// media.address when it is empty (SPEC §8).
func (c Config) MediaAdvertise() string {
	if c.Media.Advertise != "" {
		return c.Media.Advertise
	}
	return c.Media.Address
}

// AllowedSources parses trunk.allowed_sources; empty means any source.
// Call it on a validated Config (a bad entry is then impossible).
func (c Config) AllowedSources() []netip.Prefix {
	p, _ := prefixes("trunk.allowed_sources", c.Trunk.AllowedSources)
	return p
}

// TrustedSources parses trunk.trusted_sources, whose P-Asserted-Identity is
// believed (SPEC §2.1). Call it on a validated Config.
func (c Config) TrustedSources() []netip.Prefix {
	p, _ := prefixes("trunk.trusted_sources", c.Trunk.TrustedSources)
	return p
}

// ReleaseOverrides is the release map as routing.NewTable takes it. Call it
// on a validated Config (bad keys are then impossible).
func (c Config) ReleaseOverrides() map[routing.Cause]routing.Override {
	m, _ := c.releaseOverrides()
	return m
}

// BFailureOverrides is the b_failure map as routing.Table.WithBFailure takes
// it. Call it on a validated Config.
func (c Config) BFailureOverrides() map[int]routing.BOverride {
	m, _ := c.bFailureOverrides()
	return m
}

// ReleaseTable builds the whole release table of SPEC §4.2 with both kinds
// of override applied. Call it on a validated Config.
func (c Config) ReleaseTable() *routing.Table {
	return routing.NewTable(c.ReleaseOverrides()).WithBFailure(c.BFailureOverrides())
}

func (c Config) releaseOverrides() (map[routing.Cause]routing.Override, error) {
	out := make(map[routing.Cause]routing.Override, len(c.Release))
	for k, o := range c.Release {
		key := "release." + k
		code, err := strconv.Atoi(k)
		if err != nil || code < 0 || code > 9999 {
			return nil, bad(key, "%q is no release cause code", k)
		}
		if err := checkStatusQ850(key, o.SIPStatus, o.Q850); err != nil {
			return nil, err
		}
		out[routing.Cause(code)] = routing.Override{SIPStatus: o.SIPStatus, Q850: o.Q850}
	}
	return out, nil
}

func (c Config) bFailureOverrides() (map[int]routing.BOverride, error) {
	out := make(map[int]routing.BOverride, len(c.BFailure))
	for k, o := range c.BFailure {
		key := "b_failure." + k
		status, err := strconv.Atoi(k)
		if err != nil || status < 300 || status > 699 {
			return nil, bad(key, "%q is no SIP failure status (300-699)", k)
		}
		if o.Cause < 0 || o.Cause > 9999 {
			return nil, bad(key+".cause", "%d is no release cause code", o.Cause)
		}
		if err := checkStatusQ850(key, o.SIPStatus, o.Q850); err != nil {
			return nil, err
		}
		out[status] = routing.BOverride{Cause: routing.Cause(o.Cause), SIPStatus: o.SIPStatus, Q850: o.Q850}
	}
	return out, nil
}

// checkStatusQ850: a status towards A is a final failure (300-699; 0 keeps
// the built-in) and a Q.850 cause is 1-127 (ITU-T Q.850 §2.2.5; 0 keeps).
func checkStatusQ850(key string, status, q850 int) error {
	if status != 0 && (status < 300 || status > 699) {
		return bad(key+".sip_status", "%d is no SIP failure status (300-699)", status)
	}
	if q850 < 0 || q850 > 127 {
		return bad(key+".q850", "%d is no Q.850 cause (1-127)", q850)
	}
	return nil
}

// String is a one-line summary for logs; it exists so that printing a Config
// never prints api.admin_token.
func (c Config) String() string {
	return fmt.Sprintf("sip=%s advertise=%s outbound=%s/%s api=%s store=%s media=%s demo=%v",
		c.SIP.Listen, c.SIPAdvertise(), c.Trunk.Outbound, c.Trunk.Transport, c.API.Listen,
		c.Store.Dir, c.Media.Mode, c.Demo.Enabled)
}
