package sip

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xnum/xnum/routing"
)

// TestErrorsClassify: every sentinel classifies itself, also when wrapped,
// and anything else is a platform fault (500 / 7102).
func TestErrorsClassify(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		cause  routing.Cause
	}{
		{ErrHeaderInjection, 500, routing.CauseInternal},
		{ErrLoop, 482, routing.CauseLoop},
		{ErrTooManyHops, 483, 0},
		{ErrDraining, 503, 0},
		{ErrNoDialog, 481, 0},
		{ErrMethodRefused, 405, 0},
		{ErrNotImplemented, 501, 0},
		{ErrBadSDP, 488, routing.CauseRoutingFailure},
		{ErrPanic, 500, routing.CauseInternal},
		{ErrBLegSend, 480, routing.CauseCalleeNetwork},
		{fmt.Errorf("context: %w", ErrBLegSend), 480, routing.CauseCalleeNetwork},
		{errors.New("anything else"), 500, routing.CauseInternal},
		{ErrConfig, 500, routing.CauseInternal},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			status, cause := Classify(tc.err)
			if status != tc.status || cause != tc.cause {
				t.Errorf("Classify = %d, %d; want %d, %d", status, cause, tc.status, tc.cause)
			}
			if tc.status != 500 || tc.cause != routing.CauseInternal || errors.Is(tc.err, ErrHeaderInjection) || errors.Is(tc.err, ErrPanic) {
				var c Classified
				if !errors.As(tc.err, &c) {
					t.Errorf("%v does not implement Classified", tc.err)
				}
			}
		})
	}
	// The cause reported for the loop guard is the CDR's 8014.
	if _, cause := Classify(ErrLoop); cause.Code() != 8014 {
		t.Errorf("loop cause code %d", cause.Code())
	}
}

// TestNewServerConfig: conflicting or malformed settings are refused.
func TestNewServerConfig(t *testing.T) {
	plan, _ := routing.NewPlan(routing.DefaultPlanConfig())
	base := func() Deps {
		return Deps{Plan: plan, Table: routing.NewTable(nil), Lookup: panicLookup{}, CDR: chanSink(nil)}
	}
	base2 := base()
	base2.SIP.Listen, base2.Trunk.Outbound = "127.0.0.1:0", "127.0.0.1:5070"
	if s, err := NewServer(base2); err != nil {
		t.Fatalf("valid deps refused: %v", err)
	} else {
		s.Close()
	}
	for name, mut := range map[string]func(*Deps){
		"no store":       func(d *Deps) { d.Lookup = nil },
		"no cdr":         func(d *Deps) { d.CDR = nil },
		"caller source":  func(d *Deps) { d.SIP.CallerSource = "header" },
		"number format":  func(d *Deps) { d.Trunk.NumberFormat = "local" },
		"transport":      func(d *Deps) { d.Trunk.Transport = "sctp" },
		"allowed source": func(d *Deps) { d.Trunk.AllowedSources = []string{"10.0.0.0/33"} },
		"trusted source": func(d *Deps) { d.Trunk.TrustedSources = []string{"not-an-ip"} },
		"outbound":       func(d *Deps) { d.Trunk.Outbound = "" },
		"advertise":      func(d *Deps) { d.SIP.Advertise = "bad host\r\nX: y:5060" },
		"listen":         func(d *Deps) { d.SIP.Listen = "127.0.0.1:99999" },
	} {
		t.Run(name, func(t *testing.T) {
			d := base2
			mut(&d)
			if s, err := NewServer(d); err == nil {
				s.Close()
				t.Errorf("accepted")
			}
		})
	}
}
