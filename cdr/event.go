package cdr

// The eventType values of SPEC §6.1 and §6.2 [HW].
const (
	EventCallIn      = "callin"
	EventCallOut     = "callout"
	EventAlerting    = "alerting"
	EventAnswer      = "answer"
	EventDisconnect  = "disconnect"
	EventCollectInfo = "collectInfo" // AXE: the digits collected
	EventFee         = "fee"
)

// MaxFeeBatch is the most records one fee push carries (SPEC §6.2).
const MaxFeeBatch = 50

// Event is the envelope of a call event posted to the app's statusUrl
// (SPEC §6.1), field names exactly the vendor's.
type Event struct {
	EventType  string     `json:"eventType"`
	StatusInfo StatusInfo `json:"statusInfo"`
}

// MarshalJSON writes the event as SPEC §6.1 lists it: stateCode and
// stateDesc only on disconnect, where they are always present (stateCode 0
// is a normal clear); every other event type omits them, whatever the
// struct holds; digitInfo only when set. Reading an event back needs no
// counterpart: absent fields decode as zero. AppendJSON (json.go) writes
// the bytes.
func (e Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, e.jsonSize())), nil
}

// StatusInfo is the body of an Event. Times are TimeLayout UTC (FormatTime).
// stateCode and stateDesc belong to disconnect (the release cause of SPEC
// §6.3, 0 = normal clear) and are sent on it alone (Event.MarshalJSON);
// digitInfo belongs to collectInfo.
type StatusInfo struct {
	Timestamp      string `json:"timestamp"`
	SessionID      string `json:"sessionId"`
	Caller         string `json:"caller"`
	Called         string `json:"called"`
	SubscriptionID string `json:"subscriptionId"`
	UserData       string `json:"userData"`
	StateCode      int    `json:"stateCode"`
	StateDesc      string `json:"stateDesc"`
	DigitInfo      string `json:"digitInfo,omitempty"`
}

// FeeEvent is the envelope of a CDR push to the app's feeUrl (SPEC §6.2):
// at most MaxFeeBatch records.
type FeeEvent struct {
	EventType string   `json:"eventType"`
	FeeLst    []Record `json:"feeLst"`
}

// NewFeeEvent wraps records in a fee envelope; the caller keeps batches to
// MaxFeeBatch.
func NewFeeEvent(records []Record) FeeEvent {
	if records == nil {
		records = []Record{} // "feeLst":[] rather than null
	}
	return FeeEvent{EventType: EventFee, FeeLst: records}
}
