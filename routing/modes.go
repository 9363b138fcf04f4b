package routing

import "time"

// The stored relations of the AX, AXE and AXYB modes (SPEC §3, §5). The
// store persists them as JSON; the API renders them with the vendor's field
// names itself. AXB keeps its own Binding (model.go).

// CallOptions are the per-binding call settings every mode's bind accepts
// (SPEC §5): what the SIP layer plays and limits, and what the CDR echoes.
type CallOptions struct {
	MaxDuration    int      `json:"maxDuration"` // minutes from answer, 0 = no limit
	RecordFlag     bool     `json:"recordFlag"`
	RecordHintTone string   `json:"recordHintTone,omitempty"`
	LastMinVoice   string   `json:"lastMinVoice,omitempty"`
	PrivateSMS     bool     `json:"privateSms"` // stored and echoed only (SPEC §9)
	PreVoice       PreVoice `json:"preVoice"`
	UserData       string   `json:"userData,omitempty"`
}

// Options returns the call settings of an AXB binding in the shape the
// other modes use.
func (b Binding) Options() CallOptions {
	return CallOptions{
		MaxDuration: b.MaxDuration, RecordFlag: b.RecordFlag, RecordHintTone: b.RecordHintTone,
		LastMinVoice: b.LastMinVoice, PrivateSMS: b.PrivateSMS, PreVoice: b.PreVoice, UserData: b.UserData,
	}
}

// expired is the expiry rule of every relation: zero never expires,
// otherwise the relation stops routing at that instant.
func expired(expires, now time.Time) bool {
	return !expires.IsZero() && !now.Before(expires)
}

// AXBinding is an AX relation A–X: anyone → X → A; A → X → the temporary
// callee. One X has one A; one A has at most 5 X (SPEC §3).
type AXBinding struct {
	ID       string `json:"subscriptionId"`
	AppKey   string `json:"appKey"`
	X        Number `json:"privateNum"`
	A        Number `json:"origNum"`
	Duration int64  `json:"duration"` // seconds, 0 = never expires [DESIGN]
	CallOptions
	Created time.Time `json:"subscribeTime"`
	Expires time.Time `json:"expires,omitzero"` // zero = never
}

// Expired reports whether the binding no longer routes at now.
func (b AXBinding) Expired(now time.Time) bool { return expired(b.Expires, now) }

// TempCallee is the AX temporary callee of one binding: set through the API,
// it serves A's next call through X within TempCalleeTTL, once (SPEC §3).
type TempCallee struct {
	SubscriptionID string    `json:"subscriptionId"`
	X              Number    `json:"privateNum"`
	Callee         Number    `json:"calleeNum"`
	Set            time.Time `json:"set"`
	Expires        time.Time `json:"expires"`
}

// TempCalleeTTL is how long a temporary callee waits for A's call [HW].
const TempCalleeTTL = 60 * time.Second

// Expired reports whether the temporary callee can no longer serve a call.
func (c TempCallee) Expired(now time.Time) bool { return expired(c.Expires, now) }

// Time units of AXE bindExpiredTime and callbackExpiredTime (SPEC §5 timeUnit).
const (
	TimeUnitHours   = 0
	TimeUnitMinutes = 1
)

// AXEBinding is an AXE relation A–X–E: anyone → X → extension E → A; A → X
// → the last caller through E (the callback record), else CallbackNum,
// else CallbackTone and 8019 (SPEC §3).
type AXEBinding struct {
	ID           string `json:"subscriptionId"`
	AppKey       string `json:"appKey"`
	X            Number `json:"virtualNum"`
	A            Number `json:"bindNum"`
	Ext          string `json:"extendNum"`
	CallbackNum  Number `json:"callbackNum,omitempty"`
	CallbackTone string `json:"callbackTone,omitempty"`
	// BindExpiredTime and CallbackExpiredTime count TimeUnit; 0 means never
	// (the binding) and as long as the binding (the callback record) [DESIGN].
	BindExpiredTime     int64 `json:"bindExpiredTime"`
	CallbackExpiredTime int64 `json:"callbackExpiredTime"`
	TimeUnit            int   `json:"timeUnit"`
	CallOptions
	Created time.Time `json:"subscribeTime"`
	Expires time.Time `json:"expires,omitzero"` // zero = never
}

// Expired reports whether the binding no longer routes at now.
func (b AXEBinding) Expired(now time.Time) bool { return expired(b.Expires, now) }

// Unit is the duration of one TimeUnit.
func (b AXEBinding) Unit() time.Duration {
	if b.TimeUnit == TimeUnitMinutes {
		return time.Minute
	}
	return time.Hour
}

// CallbackExpiry is when a callback record written at `at` stops serving:
// at + callbackExpiredTime, never after the binding itself expires.
func (b AXEBinding) CallbackExpiry(at time.Time) time.Time {
	return childExpiry(b.Expires, at, b.CallbackExpiredTime, b.Unit())
}

// childExpiry is when a record hanging off a binding that expires at parent
// stops serving: at + n units, never after parent; n == 0 follows parent.
func childExpiry(parent, at time.Time, n int64, unit time.Duration) time.Time {
	if n == 0 {
		return parent
	}
	e := at.Add(time.Duration(n) * unit)
	if !parent.IsZero() && parent.Before(e) {
		return parent
	}
	return e
}

// Callback is the callback record of one AXE binding: the last caller who
// reached A through its extension (SPEC §3). A → X calls that caller back.
type Callback struct {
	SubscriptionID string    `json:"subscriptionId"`
	X              Number    `json:"virtualNum"`
	Ext            string    `json:"extendNum"`
	Caller         Number    `json:"caller"`
	At             time.Time `json:"at"`
	Expires        time.Time `json:"expires,omitzero"` // zero = as long as the binding
}

// Expired reports whether the record no longer serves a callback at now.
func (c Callback) Expired(now time.Time) bool { return expired(c.Expires, now) }

// AXYBBinding is the A–X part of AXYB: a caller B of X gets a Y of the app
// at call time (YRelation); B → X → A shown Y, A → Y → B shown X (SPEC §3).
type AXYBBinding struct {
	ID         string `json:"subscriptionId"`
	AppKey     string `json:"appKey"`
	X          Number `json:"privateNum"`
	A          Number `json:"origNum"`
	Duration   int64  `json:"duration"`      // seconds, 0 = never expires
	YBDuration int64  `json:"ybDuration"`    // seconds a B–Y relation lives, 0 = as long as A–X
	Direction  int    `json:"callDirection"` // 0 both, 1 only A→Y→B, 2 only B→X→A
	CallOptions
	Created time.Time `json:"subscribeTime"`
	Expires time.Time `json:"expires,omitzero"` // zero = never
}

// Expired reports whether the binding no longer routes at now.
func (b AXYBBinding) Expired(now time.Time) bool { return expired(b.Expires, now) }

// RelationExpiry is when a B–Y relation created at `at` stops routing:
// at + ybDuration, never after the A–X binding; ybDuration 0 follows A–X.
func (b AXYBBinding) RelationExpiry(at time.Time) time.Time {
	return childExpiry(b.Expires, at, b.YBDuration, time.Second)
}

// YRelation is one B–Y relation of an AXYB binding, created by B's first
// call to X. Y is unique per A: A dialling Y names exactly one B.
type YRelation struct {
	ID        string    `json:"relationId"`
	BindingID string    `json:"subscriptionId"`
	AppKey    string    `json:"appKey"`
	X         Number    `json:"numX"`
	A         Number    `json:"numA"`
	Y         Number    `json:"numY"`
	B         Number    `json:"numB"`
	Created   time.Time `json:"subscribeTime"`
	Expires   time.Time `json:"expires,omitzero"` // zero = as long as A–X
}

// Expired reports whether the relation no longer routes at now.
func (r YRelation) Expired(now time.Time) bool { return expired(r.Expires, now) }
