package sip

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/xnum/xnum/routing"
)

// maskingHandler masks every run of seven or more digits in sipgo's log
// lines: sipgo quotes whole messages and request lines in its errors, and
// xnum's logs never carry a full phone number (STYLE.md).
type maskingHandler struct{ h slog.Handler }

// MaskLogs wraps h so that no log line through it carries a run of seven or
// more digits. The daemon puts it under its root logger, so lines of every
// package (and of Pebble and sipgo) are masked, not only typed numbers.
func MaskLogs(h slog.Handler) slog.Handler { return maskingHandler{h} }

func (m maskingHandler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, maskDigits(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m maskingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a)
	}
	return maskingHandler{m.h.WithAttrs(masked)}
}

func (m maskingHandler) WithGroup(name string) slog.Handler {
	return maskingHandler{m.h.WithGroup(name)}
}

func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskDigits(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = maskAttr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, maskDigits(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, maskDigits(x.String()))
		case []byte:
			return slog.String(a.Key, maskDigits(string(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// maskDigits replaces each run of 7+ digits (with an optional leading '+')
// by routing.Mask of it.
func maskDigits(s string) string {
	var out []byte
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= 7 {
			if out == nil {
				out = append(make([]byte, 0, len(s)), s[:start]...)
			}
			out = append(out, routing.Mask(s[start:end])...)
		} else if out != nil && start >= 0 {
			out = append(out, s[start:end]...)
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		if out != nil {
			out = append(out, s[i])
		}
	}
	flush(len(s))
	if out == nil {
		return s
	}
	return string(out)
}
