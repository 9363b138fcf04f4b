package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/sip"
)

// newLogger builds the daemon's slog logger on w (stderr) from log.level and
// log.format. Every line goes through sip.MaskLogs, so a real number that
// reaches a log in a plain string or an error is masked too, not only one
// logged as routing.Number (STYLE: logs never carry a full real phone number).
func newLogger(c configs.Log, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	switch strings.ToLower(c.Level) {
	case "", "info":
		lvl = slog.LevelInfo
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return nil, fmt.Errorf("log.level: %q is not debug, info, warn or error", c.Level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(c.Format) {
	case "", "text":
		return slog.New(sip.MaskLogs(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(sip.MaskLogs(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("log.format: %q is not text or json", c.Format)
}
