package sip

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/xnum/xnum/routing"
)

func TestMaskDigits(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"no digits":                           "no digits",
		"port 5060 and 123456":                "port 5060 and 123456",
		"INVITE sip:+8613800000001@x":         "INVITE sip:" + routing.Mask("+8613800000001") + "@x",
		"From: 13800000001;tag=1 To: 1234567": "From: " + routing.Mask("13800000001") + ";tag=1 To: " + routing.Mask("1234567"),
	} {
		if got := maskDigits(in); got != want {
			t.Errorf("maskDigits(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMaskingHandler: what sipgo logs through xnum's handler carries no
// full number, whatever the attribute's type.
func TestMaskingHandler(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(maskingHandler{slog.NewTextHandler(&buf, nil)}).With("req", "INVITE sip:+8613800000001@x")
	l.Info("failed to parse +8613800000001", "data", "From: <sip:8613800000001@h>",
		"error", errors.New("bad 008613800000001"), "raw", []byte("13800000001"),
		slog.Group("g", "n", "+8613800000001"))
	if strings.Contains(buf.String(), "3800000001") {
		t.Errorf("a full number was logged: %s", buf.String())
	}
}
