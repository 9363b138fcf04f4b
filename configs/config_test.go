package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// valid is the built-in defaults plus the one key without a default.
func valid() Config {
	c := Default()
	c.API.AdminToken = "test-token"
	return c
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "xnum.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantKey asserts err is a KeyError about key wrapping sentinel.
func wantKey(t *testing.T, err error, key string, sentinel error) {
	t.Helper()
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != key || !errors.Is(err, sentinel) {
		t.Fatalf("error = %v; want a %v naming %s", err, sentinel, key)
	}
	if !strings.Contains(err.Error(), key) {
		t.Fatalf("message %q does not name %s", err, key)
	}
}

func TestDefaults(t *testing.T) {
	c := Default()
	wantKey(t, c.Validate(), "api.admin_token", ErrRequired)
	if err := valid().Validate(); err != nil {
		t.Fatalf("defaults with a token: %v", err)
	}
	// Spot checks of SPEC §8 values, including those derived by helpers.
	if c.SIPAdvertise() != "127.0.0.1:5060" || c.MediaAdvertise() != "127.0.0.1" {
		t.Errorf("advertise = %q, %q", c.SIPAdvertise(), c.MediaAdvertise())
	}
	if c.CDR.Retention != 90*24*time.Hour || c.Record.Retention != 7*24*time.Hour || c.SIP.T1 != 500*time.Millisecond {
		t.Errorf("retention %v/%v, t1 %v", c.CDR.Retention, c.Record.Retention, c.SIP.T1)
	}
	if c.Demo.Enabled || !c.Trunk.BLegPAI || len(c.Trunk.AllowedSources) != 0 {
		t.Errorf("demo %v, b_leg_pai %v, allowed %v", c.Demo.Enabled, c.Trunk.BLegPAI, c.Trunk.AllowedSources)
	}
	if !reflect.DeepEqual(c.PlanConfig(), routing.DefaultPlanConfig()) {
		t.Errorf("number plan %+v is not routing's default", c.PlanConfig())
	}
	if lo, hi, err := c.RTPPortRange(); err != nil || lo != 20000 || hi != 29999 {
		t.Errorf("rtp ports %d-%d %v", lo, hi, err)
	}
}

// TestLoadNoFile: no path and no configs/xnum.yaml in the working directory
// (the test runs in configs/) gives the defaults, here with the token by env.
func TestLoadNoFile(t *testing.T) {
	c, err := Load("", []string{"XNUM_API_ADMIN_TOKEN=tok", "PATH=/bin", "XNUM_ADMIN_TOKEN=client-only"})
	if err != nil {
		t.Fatal(err)
	}
	want := valid()
	want.API.AdminToken = "tok"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load(\"\") =\n%#v\nwant\n%#v", c, want)
	}
	_, err = Load("", nil)
	wantKey(t, err, "api.admin_token", ErrRequired)
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), nil); err == nil {
		t.Fatal("a missing --config file was accepted")
	}
}

// TestShippedConfig: configs/xnum.yaml loads, validates, and holds the
// defaults except what it sets on purpose (demo and its token).
func TestShippedConfig(t *testing.T) {
	c, err := Load("xnum.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo.Enabled || c.API.AdminToken != "demo-admin-token" {
		t.Errorf("demo %v token %q", c.Demo.Enabled, c.API.AdminToken)
	}
	want := valid()
	want.Demo.Enabled = true
	want.API.AdminToken = c.API.AdminToken
	if !reflect.DeepEqual(c, want) {
		t.Errorf("shipped config differs from the defaults:\n%#v\nwant\n%#v", c, want)
	}
}

// TestShippedConfigHasEveryKey: every key of Config appears in xnum.yaml.
func TestShippedConfigHasEveryKey(t *testing.T) {
	body, err := os.ReadFile("xnum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(leafKeys(reflect.TypeFor[Config](), ""), "release", "b_failure") {
		last := k[strings.LastIndexByte(k, '.')+1:]
		if !strings.Contains(string(body), last+":") {
			t.Errorf("configs/xnum.yaml lacks %s", k)
		}
	}
}

func TestLoadFile(t *testing.T) {
	p := writeFile(t, `
sip:
  listen: 127.0.0.1:0
  ring_timeout: 20s
trunk:
  trusted_sources: [10.0.0.0/8, 192.0.2.7]
api:
  admin_token: file-token
cdr:
  retention: 30d
  file_max_size: 8192
  file_keep: 2
record:
  retention: 1d12h
release:
  8014: {sip_status: 404}
b_failure:
  "503": {cause: 8103, q850: 41}
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SIP.RingTimeout != 20*time.Second || c.SIP.Listen != "127.0.0.1:0" || c.API.AdminToken != "file-token" {
		t.Errorf("file values not applied: %+v", c.SIP)
	}
	if c.SIP.DrainTimeout != 30*time.Second {
		t.Errorf("unset key lost its default: drain_timeout %v", c.SIP.DrainTimeout)
	}
	if c.CDR.Retention != 30*24*time.Hour || c.Record.Retention != 36*time.Hour {
		t.Errorf("day durations: %v, %v", c.CDR.Retention, c.Record.Retention)
	}
	if c.CDR.FileMaxSize != 8192 || c.CDR.FileKeep != 2 {
		t.Errorf("cdr.file rotation: %d bytes, keep %d", c.CDR.FileMaxSize, c.CDR.FileKeep)
	}
	if got := c.TrustedSources(); len(got) != 2 || got[1].String() != "192.0.2.7/32" {
		t.Errorf("trusted sources %v", got)
	}
	tab := c.ReleaseTable()
	if r := tab.For(routing.CauseNoBinding); r.SIPStatus != 404 || r.Q850 != 21 {
		t.Errorf("release override not applied: %+v", r)
	}
	if r := tab.BFailure(503, 0); r.Code() != 8103 || r.SIPStatus != 480 || r.Q850 != 41 {
		t.Errorf("b_failure override not applied: %+v", r)
	}
}

func TestLoadUnknownKey(t *testing.T) {
	for body, key := range map[string]string{
		"sip:\n  listn: 127.0.0.1:5060\napi:\n  admin_token: x\n":       "sip.listn",
		"bogus: 1\napi:\n  admin_token: x\n":                            "bogus",
		"api:\n  admin_token: x\nrelease:\n  \"8014\": {status: 404}\n": "release.8014.status",
	} {
		_, err := Load(writeFile(t, body), nil)
		wantKey(t, err, key, ErrUnknownKey)
	}
	_, err := Load("", []string{"XNUM_API_ADMIN_TOKEN=x", "XNUM_SIP_LISTN=127.0.0.1:1"})
	wantKey(t, err, "XNUM_SIP_LISTN", ErrUnknownKey)
}

func TestLoadEnv(t *testing.T) {
	p := writeFile(t, "sip:\n  ring_timeout: 20s\napi:\n  admin_token: file\n")
	c, err := Load(p, []string{
		"XNUM_API_ADMIN_TOKEN=env-token",                     // scalar, beats the file
		"XNUM_SIP_RING_TIMEOUT=45s",                          // duration, beats the file
		"XNUM_CDR_RETENTION=7d",                              // day duration
		"XNUM_TRUNK_TRUSTED_SOURCES=10.0.0.0/8, 10.1.0.0/16", // list
		"XNUM_TRUNK_ALLOWED_SOURCES=",                        // empty list
		"XNUM_TRUNK_B_LEG_PAI=false",                         // bool
		"XNUM_API_RATE_LIMIT=7",                              // int
		"XNUM_RELEASE_8016_SIP_STATUS=404",                   // map entry
		"XNUM_B_FAILURE_486_Q850=34",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.API.AdminToken != "env-token" || c.SIP.RingTimeout != 45*time.Second || c.CDR.Retention != 7*24*time.Hour {
		t.Errorf("env scalars: token %q ring %v retention %v", c.API.AdminToken, c.SIP.RingTimeout, c.CDR.Retention)
	}
	if !reflect.DeepEqual(c.Trunk.TrustedSources, []string{"10.0.0.0/8", "10.1.0.0/16"}) || len(c.Trunk.AllowedSources) != 0 {
		t.Errorf("env lists: %q %q", c.Trunk.TrustedSources, c.Trunk.AllowedSources)
	}
	if c.Trunk.BLegPAI || c.API.RateLimit != 7 {
		t.Errorf("env bool/int: %v %d", c.Trunk.BLegPAI, c.API.RateLimit)
	}
	if c.Release["8016"].SIPStatus != 404 || c.BFailure["486"].Q850 != 34 {
		t.Errorf("env map entries: %+v %+v", c.Release, c.BFailure)
	}
	_, err = Load(p, []string{"XNUM_SIP_RING_TIMEOUT=soon"})
	wantKey(t, err, "sip.ring_timeout", ErrBadValue)
	_, err = Load(p, []string{"XNUM_API_RATE_LIMIT=many"})
	wantKey(t, err, "api.rate_limit", ErrBadValue)
}

func TestDurationHook(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"90d": 90 * 24 * time.Hour, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour,
		"90s": 90 * time.Second, "500ms": 500 * time.Millisecond, "4h": 4 * time.Hour,
	} {
		if got, err := ParseDuration(s); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"d", "xd", "-1d", "1d1", "soon", ""} {
		if _, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) accepted", s)
		}
	}
	_, err := Load(writeFile(t, "sip:\n  ring_timeout: 90\napi:\n  admin_token: x\n"), nil)
	wantKey(t, err, "sip.ring_timeout", ErrBadValue)
}
