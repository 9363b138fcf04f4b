package store

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/xnum/xnum/routing"
)

// Key layout (schema version 1)
//
// Every key starts with a short family name and a 0x00 separator, so that one
// family's range never overlaps another's ("b\x00…" and "bx\x00…" are disjoint).
// Variable parts are joined by 0x00, which no app key or number may contain.
// Times in keys are 8-byte big-endian Unix nanoseconds, so byte order is time
// order. Values are JSON of the routing and cdr types unless noted.
//
//	meta\x00schema                → "1"               layout version, checked by Open
//	app\x00{appKey}               → routing.App
//	x\x00{X}                      → routing.XNumber    X → owner app (hot path: XNumber, IsX)
//	ax\x00{appKey}\x00{X}         → ""                 appKey → its X numbers
//	b\x00{id}                     → routing.Binding    subscriptionId → binding
//	bx\x00{X}\x00{id}             → ""                 X → its bindings
//	bp\x00{X}\x00{number}         → id                 (X, A) and (X, B) → binding (hot path: BindingByParty)
//	bn\x00{X}                     → uint64 BE          number of bindings on X (the 5000-pair rule)
//	be\x00{expires}\x00{id}       → ""                 expiry → binding, only when the binding expires
//	cdr\x00{stored at}\x00{icid}  → cdr.Record         CDRs by insertion time (Options.Now)
//
// A binding and all of its index entries are written and deleted in the same
// synced batch (SPEC §7); CheckIndexes verifies that they agree. The AX, AXE
// and AXYB families are in keys_modes.go, the outbox's in outbox.go.

const schemaVersion = "1"

const sep = 0x00

var (
	keySchema = []byte("meta\x00schema")

	pfxApp     = []byte("app\x00")
	pfxX       = []byte("x\x00")
	pfxAppX    = []byte("ax\x00")
	pfxBinding = []byte("b\x00")
	pfxBindX   = []byte("bx\x00")
	pfxParty   = []byte("bp\x00")
	pfxCount   = []byte("bn\x00")
	pfxExpiry  = []byte("be\x00")
	pfxCDR     = []byte("cdr\x00")
)

func join(prefix []byte, parts ...string) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for i, p := range parts {
		if i > 0 {
			k = append(k, sep)
		}
		k = append(k, p...)
	}
	return k
}

func appKey(key string) []byte                    { return join(pfxApp, key) }
func xKey(x routing.Number) []byte                { return join(pfxX, string(x)) }
func appXKey(app string, x routing.Number) []byte { return join(pfxAppX, app, string(x)) }
func appXPrefix(app string) []byte                { return join(pfxAppX, app, "") }
func bindingKey(id string) []byte                 { return join(pfxBinding, id) }
func bindXKey(x routing.Number, id string) []byte { return join(pfxBindX, string(x), id) }
func bindXPrefix(x routing.Number) []byte         { return join(pfxBindX, string(x), "") }
func partyKey(x, n routing.Number) []byte         { return join(pfxParty, string(x), string(n)) }
func countKey(x routing.Number) []byte            { return join(pfxCount, string(x)) }

func timeBytes(t time.Time) []byte {
	var b [8]byte
	ns := t.UnixNano()
	if ns < 0 {
		ns = 0
	}
	binary.BigEndian.PutUint64(b[:], uint64(ns))
	return b[:]
}

func timeKey(prefix []byte, t time.Time, tail string) []byte {
	k := make([]byte, 0, len(prefix)+8+1+len(tail))
	k = append(k, prefix...)
	k = append(k, timeBytes(t)...)
	k = append(k, sep)
	return append(k, tail...)
}

// timeBound is the first key of prefix at or after t: the lower bound of a
// time range (and, as an exclusive upper bound, everything before t).
func timeBound(prefix []byte, t time.Time) []byte {
	return append(append([]byte{}, prefix...), timeBytes(t)...)
}

func expiryKey(t time.Time, id string) []byte { return timeKey(pfxExpiry, t, id) }
func cdrKey(at time.Time, icid string) []byte { return timeKey(pfxCDR, at, icid) }

// splitTimeKey parses a key made by timeKey.
func splitTimeKey(prefix, k []byte) (time.Time, string, bool) {
	rest, ok := bytes.CutPrefix(k, prefix)
	if !ok || len(rest) < 9 || rest[8] != sep {
		return time.Time{}, "", false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(rest[:8]))).UTC(), string(rest[9:]), true
}

// split2 parses prefix + a + sep + b.
func split2(prefix, k []byte) (string, string, bool) {
	rest, ok := bytes.CutPrefix(k, prefix)
	if !ok {
		return "", "", false
	}
	a, b, ok := bytes.Cut(rest, []byte{sep})
	return string(a), string(b), ok
}

// prefixEnd is the exclusive upper bound of every key starting with p. Every
// prefix here ends in 0x00, so incrementing the last byte never overflows.
func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	end[len(end)-1]++
	return end
}

func encodeCount(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func decodeCount(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// safeKey renders a key for errors and logs: parts that are numbers are
// masked (logs never carry a full number), other bytes are quoted.
func safeKey(k []byte) string {
	parts := bytes.Split(k, []byte{sep})
	out := make([]string, len(parts))
	for i, p := range parts {
		if len(p) > 0 && p[0] == '+' {
			out[i] = routing.Mask(string(p))
		} else {
			out[i] = strconv.Quote(string(p))
		}
	}
	return strings.Join(out, "/")
}
