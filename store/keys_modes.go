package store

import (
	"bytes"
	"time"

	"github.com/xnum/xnum/routing"
)

// Key families of the AX, AXE and AXYB modes (added to the layout of
// keys.go; same conventions: family name, 0x00, parts joined by 0x00).
//
//	axs\x00{id}                → routing.AXBinding    AX subscriptionId → binding
//	axx\x00{X}                 → id                   X → its one AX binding (one X one A)
//	axa\x00{A}\x00{X}          → id                   A → its AX bindings (at most MaxXPerA)
//	axt\x00{X}                 → routing.TempCallee   X → the pending temporary callee
//
//	xes\x00{id}                → routing.AXEBinding   AXE subscriptionId → binding
//	xee\x00{X}\x00{ext}        → id                   (X, extension) → binding: unique per X
//	xea\x00{X}\x00{A}          → id                   (X, A) → binding: A once per X
//	xcb\x00{id}                → routing.Callback     binding → its callback record
//
//	ybs\x00{id}                → routing.AXYBBinding  AXYB subscriptionId → A–X binding
//	ybx\x00{X}                 → id                   X → its one A–X binding
//	yba\x00{A}\x00{X}          → id                   A → its A–X bindings
//	yr\x00{rid}                → routing.YRelation    relation id → B–Y relation
//	yrs\x00{id}\x00{rid}       → ""                   binding → its relations
//	yrb\x00{X}\x00{B}          → rid                  (X, B) → relation: B → X → A shown Y
//	yry\x00{Y}\x00{A}          → rid                  (Y, A) → relation: A → Y → B shown X;
//	                                                  also "Y in use"
//
//	me\x00{expires}\x00{kind}\x00{id} → ""            expiry of every record above that
//	                                                  expires; kind is the record's family
//	                                                  name (axs, axt, xes, xcb, ybs, yr),
//	                                                  id its key part (X for axt)
//
// A record and every entry naming it change in one synced batch;
// CheckIndexes verifies them (check_modes.go).

var (
	pfxAX        = []byte("axs\x00")
	pfxAXByX     = []byte("axx\x00")
	pfxAXByA     = []byte("axa\x00")
	pfxTemp      = []byte("axt\x00")
	pfxAXE       = []byte("xes\x00")
	pfxAXEExt    = []byte("xee\x00")
	pfxAXEParty  = []byte("xea\x00")
	pfxCallback  = []byte("xcb\x00")
	pfxAXYB      = []byte("ybs\x00")
	pfxAXYBByX   = []byte("ybx\x00")
	pfxAXYBByA   = []byte("yba\x00")
	pfxRel       = []byte("yr\x00")
	pfxRelOfBind = []byte("yrs\x00")
	pfxRelByB    = []byte("yrb\x00")
	pfxRelByY    = []byte("yry\x00")
	pfxModeExp   = []byte("me\x00")
)

// Expiry kinds: the family name of the record that expires.
const (
	kindAX       = "axs"
	kindTemp     = "axt"
	kindAXE      = "xes"
	kindCallback = "xcb"
	kindAXYB     = "ybs"
	kindRel      = "yr"
)

func axKey(id string) []byte                      { return join(pfxAX, id) }
func axByXKey(x routing.Number) []byte            { return join(pfxAXByX, string(x)) }
func axByAKey(a, x routing.Number) []byte         { return join(pfxAXByA, string(a), string(x)) }
func axByAPrefix(a routing.Number) []byte         { return join(pfxAXByA, string(a), "") }
func tempKey(x routing.Number) []byte             { return join(pfxTemp, string(x)) }
func axeKey(id string) []byte                     { return join(pfxAXE, id) }
func axeExtKey(x routing.Number, e string) []byte { return join(pfxAXEExt, string(x), e) }
func axeExtPrefix(x routing.Number) []byte        { return join(pfxAXEExt, string(x), "") }
func axePartyKey(x, a routing.Number) []byte      { return join(pfxAXEParty, string(x), string(a)) }
func callbackKey(id string) []byte                { return join(pfxCallback, id) }
func axybKey(id string) []byte                    { return join(pfxAXYB, id) }
func axybByXKey(x routing.Number) []byte          { return join(pfxAXYBByX, string(x)) }
func axybByAKey(a, x routing.Number) []byte       { return join(pfxAXYBByA, string(a), string(x)) }
func axybByAPrefix(a routing.Number) []byte       { return join(pfxAXYBByA, string(a), "") }
func relKey(rid string) []byte                    { return join(pfxRel, rid) }
func relOfBindKey(id, rid string) []byte          { return join(pfxRelOfBind, id, rid) }
func relOfBindPrefix(id string) []byte            { return join(pfxRelOfBind, id, "") }
func relByBKey(x, b routing.Number) []byte        { return join(pfxRelByB, string(x), string(b)) }
func relByYKey(y, a routing.Number) []byte        { return join(pfxRelByY, string(y), string(a)) }
func relByYPrefix(y routing.Number) []byte        { return join(pfxRelByY, string(y), "") }

func modeExpKey(t time.Time, kind, id string) []byte {
	return timeKey(pfxModeExp, t, kind+"\x00"+id)
}

// splitModeExpKey parses a key made by modeExpKey.
func splitModeExpKey(k []byte) (time.Time, string, string, bool) {
	t, tail, ok := splitTimeKey(pfxModeExp, k)
	if !ok {
		return t, "", "", false
	}
	kind, id, ok := bytes.Cut([]byte(tail), []byte{sep})
	return t, string(kind), string(id), ok
}
