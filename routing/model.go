package routing

import "time"

// Mode is the one mode of an app (SPEC §3).
type Mode string

// The modes of SPEC §3.
const (
	ModeAX   Mode = "AX"
	ModeAXB  Mode = "AXB"
	ModeAXE  Mode = "AXE"
	ModeAXYB Mode = "AXYB"
	ModeX    Mode = "X"
)

// Valid reports whether m is one of the modes of SPEC §3.
func (m Mode) Valid() bool {
	switch m {
	case ModeAX, ModeAXB, ModeAXE, ModeAXYB, ModeX:
		return true
	}
	return false
}

// ServiceType is the CDR serviceType of the mode (SPEC §6.2).
func (m Mode) ServiceType() string {
	switch m {
	case ModeAX:
		return "003"
	case ModeAXE:
		return "005"
	case ModeAXYB:
		return "007"
	default:
		return "004"
	}
}

// App is an enterprise application as routing and the API see it.
type App struct {
	Key                 string            `json:"appKey"`
	Secret              string            `json:"appSecret,omitempty"`
	SPID                string            `json:"spId,omitempty"`
	Mode                Mode              `json:"mode"`
	StatusURL           string            `json:"statusUrl,omitempty"`
	FeeURL              string            `json:"feeUrl,omitempty"`
	CallinURL           string            `json:"callinUrl,omitempty"`
	Recording           bool              `json:"recording"`
	ExtLen              int               `json:"extLen,omitempty"`
	AnswerBeforeCollect bool              `json:"answerBeforeCollect"`
	Frozen              bool              `json:"frozen"`
	Prompts             map[string]string `json:"prompts,omitempty"` // prompt name → stored file name (uploaded per app)
	Created             time.Time         `json:"created"`
}

// XNumber is a privacy number owned by the platform and assigned to one app.
type XNumber struct {
	Number    Number    `json:"number"`
	AppKey    string    `json:"appKey"`
	AreaCode  string    `json:"areaCode,omitempty"`
	Suspended bool      `json:"suspended"`
	Added     time.Time `json:"added"`
}

// PreVoice names the prompts played while the callee is reached (SPEC §5).
type PreVoice struct {
	CallerHintTone string `json:"callerHintTone,omitempty"`
	CalleeHintTone string `json:"calleeHintTone,omitempty"`
}

// Binding is an AXB relation A–X–B (SPEC §3, §5). A is callerNum, B calleeNum.
type Binding struct {
	ID             string    `json:"subscriptionId"`
	AppKey         string    `json:"appKey"`
	X              Number    `json:"relationNum"`
	A              Number    `json:"callerNum"`
	B              Number    `json:"calleeNum"`
	Direction      int       `json:"callDirection"` // 0 both, 1 only A→B, 2 only B→A
	Duration       int64     `json:"duration"`      // seconds, 0 = never expires
	MaxDuration    int       `json:"maxDuration"`   // minutes from answer, 0 = no limit
	RecordFlag     bool      `json:"recordFlag"`
	RecordHintTone string    `json:"recordHintTone,omitempty"`
	LastMinVoice   string    `json:"lastMinVoice,omitempty"`
	PrivateSMS     bool      `json:"privateSms"`
	PreVoice       PreVoice  `json:"preVoice"`
	UserData       string    `json:"userData,omitempty"`
	Created        time.Time `json:"subscribeTime"`
	// Expires is zero for a binding that never expires; otherwise the moment
	// it stops routing (restarted when duration is modified).
	Expires time.Time `json:"expires,omitzero"`
}

// Expired reports whether the binding no longer routes at now.
func (b Binding) Expired(now time.Time) bool {
	return !b.Expires.IsZero() && !now.Before(b.Expires)
}

// Party tells which side of a binding a number is.
func (b Binding) Party(n Number) (isA, isB bool) {
	return n == b.A, n == b.B
}
