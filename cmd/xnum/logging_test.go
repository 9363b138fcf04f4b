package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xnum/xnum/configs"
)

// A number that reaches the daemon's logger as a plain string or inside an
// error (store, api, Pebble) is masked like a routing.Number.
func TestLoggerMasksNumbers(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		l, err := newLogger(configs.Log{Level: "info", Format: format}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		l.With("caller", "+8613800000001").Info("bind failed for 13800000002",
			"err", errors.New("party 008613800000003 taken"))
		out := buf.String()
		for _, n := range []string{"13800000001", "13800000002", "13800000003"} {
			if strings.Contains(out, n) {
				t.Errorf("%s log carries %s: %s", format, n, out)
			}
		}
		if !strings.Contains(out, "bind failed") {
			t.Errorf("%s log lost the message: %s", format, out)
		}
	}
}
