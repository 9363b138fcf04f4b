package routing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// decideX: every call to an X of an X-mode app asks the enterprise
// (StepCallin). X mode stores nothing, so no caller is a bound party.
func decideX(t *Table, d Decision) Decision {
	// The step's fallback release: no answer is 8014 (SPEC §3).
	d = d.reject(t, CauseNoBinding)
	d.Direction = dirToTemp
	d.Next = StepCallin
	return d
}

// CallinResult is the outcome of the X-mode callin request (SPEC §3, §6.1):
// Err for no answer within xmode.callin_timeout or a transport failure, else
// the HTTP status and body of the answer.
type CallinResult struct {
	Err    error
	Status int
	Body   []byte
}

// CallinAnswer is the enterprise's answer to a callin event [HW]:
// {"operation":"connect","connectInfo":{"calleeNum":…,"displayCalleeNum":…,
// "maxDuration":…}} or {"operation":"close"}.
type CallinAnswer struct {
	Operation   string       `json:"operation"`
	ConnectInfo *ConnectInfo `json:"connectInfo,omitempty"`
}

// ConnectInfo is the connect part of a CallinAnswer.
type ConnectInfo struct {
	CalleeNum        string `json:"calleeNum"`
	DisplayCalleeNum string `json:"displayCalleeNum,omitempty"`
	MaxDuration      *int   `json:"maxDuration,omitempty"` // minutes, 0 or 1–1440
}

// MaxCallinAnswer bounds the answer body the SIP layer reads.
const MaxCallinAnswer = 64 << 10

// errMalformed marks an answer DecideXMode refuses with 8014.
var errMalformed = errors.New("malformed callin answer")

// ParseCallinAnswer decodes an answer body: one JSON object with a known
// operation, and for connect a connectInfo with a calleeNum. Unknown fields
// are ignored (the enterprise may echo more); anything else is malformed.
func ParseCallinAnswer(body []byte) (CallinAnswer, error) {
	var a CallinAnswer
	if len(body) > MaxCallinAnswer {
		return a, fmt.Errorf("%w: too long", errMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if dec.More() {
		return a, fmt.Errorf("%w: trailing data", errMalformed)
	}
	switch a.Operation {
	case "close":
		return a, nil
	case "connect":
		if a.ConnectInfo == nil || a.ConnectInfo.CalleeNum == "" {
			return a, fmt.Errorf("%w: connect without calleeNum", errMalformed)
		}
		if m := a.ConnectInfo.MaxDuration; m != nil && (*m < 0 || *m > 1440) {
			return a, fmt.Errorf("%w: maxDuration out of 0–1440", errMalformed)
		}
		return a, nil
	default:
		return a, fmt.Errorf("%w: operation %q", errMalformed, a.Operation)
	}
}

// DecideXMode finishes an X-mode decision d (Next == StepCallin) with the
// enterprise's answer (SPEC §3): close → 8017; no answer, non-2xx or
// malformed → 8014; connect → a B leg to calleeNum shown X, which must pass
// the callee rules of SPEC §2 (a home mobile or fixed line, never an X of the
// platform), with displayCalleeNum that X or absent, and maxDuration
// (minutes) honoured. It writes nothing.
func DecideXMode(d Decision, r CallinResult, p *Plan, l Lookup, t *Table) Decision {
	if d.Next != StepCallin {
		return d
	}
	if r.Err != nil || r.Status < 200 || r.Status > 299 {
		return d.reject(t, CauseNoBinding)
	}
	a, err := ParseCallinAnswer(r.Body)
	if err != nil {
		return d.reject(t, CauseNoBinding)
	}
	if a.Operation == "close" {
		return d.reject(t, CauseXModeClose)
	}
	ci := a.ConnectInfo
	callee, kind, err := p.Normalize(ci.CalleeNum)
	if err != nil || (kind != KindMobile && kind != KindFixed) {
		return d.reject(t, CauseNoBinding)
	}
	if _, _, isX, err := l.XNumber(callee); err != nil {
		return d.reject(t, CauseInternal)
	} else if isX {
		return d.reject(t, CauseNoBinding)
	}
	if ci.DisplayCalleeNum != "" {
		shown, _, err := p.Normalize(ci.DisplayCalleeNum)
		if err != nil || shown != d.X.Number {
			return d.reject(t, CauseNoBinding)
		}
	}
	if ci.MaxDuration != nil {
		d.Options.MaxDuration = *ci.MaxDuration
	}
	return d.connect(callee, d.X.Number, dirToTemp)
}
