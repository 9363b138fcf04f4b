// Package cdr owns what xnum reports about calls: the CDR record of SPEC §6.2,
// the events of SPEC §6.1, and (with the event issue) the durable outbox that
// delivers them to the enterprise by signed webhook.
package cdr

import "time"

// TimeLayout is the vendor's time format, always UTC (SPEC §6.2).
const TimeLayout = "2006-01-02 15:04:05"

// FormatTime renders t in TimeLayout UTC, or "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// Record is one CDR (a `fee` record) with the exact field names of SPEC §6.2.
// Unset strings are "" and unset integers 0: no omitempty.
type Record struct {
	ICID             string `json:"icid"`
	Direction        int    `json:"direction"`
	SPID             string `json:"spId"`
	AppKey           string `json:"appKey"`
	BindNum          string `json:"bindNum"`
	SessionID        string `json:"sessionId"`
	SubscriptionID   string `json:"subscriptionId"`
	CallerNum        string `json:"callerNum"`
	CalleeNum        string `json:"calleeNum"`
	FwdDisplayNum    string `json:"fwdDisplayNum"`
	FwdDstNum        string `json:"fwdDstNum"`
	CallInTime       string `json:"callInTime"`
	FwdStartTime     string `json:"fwdStartTime"`
	FwdAlertingTime  string `json:"fwdAlertingTime"`
	FwdAnswerTime    string `json:"fwdAnswerTime"`
	CallEndTime      string `json:"callEndTime"`
	FailTime         string `json:"failTime"`
	FwdUnaswRsn      int    `json:"fwdUnaswRsn"`
	ULFailReason     int    `json:"ulFailReason"`
	SIPStatusCode    int    `json:"sipStatusCode"`
	CallRelDirection int    `json:"callRelDirection"`
	RecordFlag       int    `json:"recordFlag"`
	RecordStartTime  string `json:"recordStartTime"`
	RecordDomain     string `json:"recordDomain"`
	RecordObjectName string `json:"recordObjectName"`
	ServiceType      string `json:"serviceType"`
	ExtendNumber     string `json:"extendNumber"`
	UserData         string `json:"userData"`
}

// Direction values of the CDR (SPEC §6.2).
const (
	DirToBound = 0 // to a bound party
	DirToOther = 1 // temporary callee, X-mode callee, callback
	DirRefused = 2 // refused [DESIGN]
)

// callRelDirection values.
const (
	RelPlatform = 0
	RelCaller   = 1
	RelCallee   = 2
)
