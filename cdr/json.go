package cdr

import (
	"strconv"
	"unicode/utf8"
)

// Events and CDRs are written by hand rather than by encoding/json: every
// call's five events and its CDR are encoded on the call path, and
// json.Marshal's reflection and its second pass over a MarshalJSON result
// were a large share of the daemon's allocations (docs/EVENTS.md "Speed").
// The bytes are exactly json.Marshal's (TestEventJSONMatchesEncodingJSON,
// TestRecordJSONMatchesEncodingJSON), so receivers and stored copies see
// no difference.

// AppendJSON appends the event's JSON, as Event.MarshalJSON writes it, to b.
func (e *Event) AppendJSON(b []byte) []byte {
	si := &e.StatusInfo
	b = appendJSONString(append(b, `{"eventType":`...), e.EventType)
	b = appendJSONString(append(b, `,"statusInfo":{"timestamp":`...), si.Timestamp)
	b = appendJSONString(append(b, `,"sessionId":`...), si.SessionID)
	b = appendJSONString(append(b, `,"caller":`...), si.Caller)
	b = appendJSONString(append(b, `,"called":`...), si.Called)
	b = appendJSONString(append(b, `,"subscriptionId":`...), si.SubscriptionID)
	b = appendJSONString(append(b, `,"userData":`...), si.UserData)
	if e.EventType == EventDisconnect {
		b = strconv.AppendInt(append(b, `,"stateCode":`...), int64(si.StateCode), 10)
		b = appendJSONString(append(b, `,"stateDesc":`...), si.StateDesc)
	}
	if si.DigitInfo != "" {
		b = appendJSONString(append(b, `,"digitInfo":`...), si.DigitInfo)
	}
	return append(b, "}}"...)
}

// jsonSize is the bytes of the JSON of a value whose strings need no
// escaping: the fixed part plus the strings, for an allocation that is
// right the first time (escapes make it grow).
func jsonSize(fixed int, strs ...string) int {
	n := fixed
	for _, s := range strs {
		n += len(s)
	}
	return n
}

// eventJSONFixed bounds the bytes of an event's JSON besides its strings:
// keys, quotes and a stateCode.
const eventJSONFixed = 184

func (e *Event) jsonSize() int {
	si := &e.StatusInfo
	return jsonSize(eventJSONFixed, e.EventType, si.Timestamp, si.SessionID, si.Caller, si.Called,
		si.SubscriptionID, si.UserData, si.StateDesc, si.DigitInfo)
}

// AppendJSON appends the record's JSON, as json.Marshal writes it, to b.
func (r *Record) AppendJSON(b []byte) []byte {
	b = appendJSONString(append(b, `{"icid":`...), r.ICID)
	b = strconv.AppendInt(append(b, `,"direction":`...), int64(r.Direction), 10)
	b = appendJSONString(append(b, `,"spId":`...), r.SPID)
	b = appendJSONString(append(b, `,"appKey":`...), r.AppKey)
	b = appendJSONString(append(b, `,"bindNum":`...), r.BindNum)
	b = appendJSONString(append(b, `,"sessionId":`...), r.SessionID)
	b = appendJSONString(append(b, `,"subscriptionId":`...), r.SubscriptionID)
	b = appendJSONString(append(b, `,"callerNum":`...), r.CallerNum)
	b = appendJSONString(append(b, `,"calleeNum":`...), r.CalleeNum)
	b = appendJSONString(append(b, `,"fwdDisplayNum":`...), r.FwdDisplayNum)
	b = appendJSONString(append(b, `,"fwdDstNum":`...), r.FwdDstNum)
	b = appendJSONString(append(b, `,"callInTime":`...), r.CallInTime)
	b = appendJSONString(append(b, `,"fwdStartTime":`...), r.FwdStartTime)
	b = appendJSONString(append(b, `,"fwdAlertingTime":`...), r.FwdAlertingTime)
	b = appendJSONString(append(b, `,"fwdAnswerTime":`...), r.FwdAnswerTime)
	b = appendJSONString(append(b, `,"callEndTime":`...), r.CallEndTime)
	b = appendJSONString(append(b, `,"failTime":`...), r.FailTime)
	b = strconv.AppendInt(append(b, `,"fwdUnaswRsn":`...), int64(r.FwdUnaswRsn), 10)
	b = strconv.AppendInt(append(b, `,"ulFailReason":`...), int64(r.ULFailReason), 10)
	b = strconv.AppendInt(append(b, `,"sipStatusCode":`...), int64(r.SIPStatusCode), 10)
	b = strconv.AppendInt(append(b, `,"callRelDirection":`...), int64(r.CallRelDirection), 10)
	b = strconv.AppendInt(append(b, `,"recordFlag":`...), int64(r.RecordFlag), 10)
	b = appendJSONString(append(b, `,"recordStartTime":`...), r.RecordStartTime)
	b = appendJSONString(append(b, `,"recordDomain":`...), r.RecordDomain)
	b = appendJSONString(append(b, `,"recordObjectName":`...), r.RecordObjectName)
	b = appendJSONString(append(b, `,"serviceType":`...), r.ServiceType)
	b = appendJSONString(append(b, `,"extendNumber":`...), r.ExtendNumber)
	b = appendJSONString(append(b, `,"userData":`...), r.UserData)
	return append(b, '}')
}

// recordJSONFixed is the bytes of a record's JSON besides its strings:
// keys, quotes and six integers of up to three digits (the codes of SPEC
// §6.2); a wider one makes the slice grow once.
const recordJSONFixed = 480

func (r *Record) jsonSize() int {
	return jsonSize(recordJSONFixed, r.ICID, r.SPID, r.AppKey, r.BindNum, r.SessionID, r.SubscriptionID,
		r.CallerNum, r.CalleeNum, r.FwdDisplayNum, r.FwdDstNum, r.CallInTime, r.FwdStartTime,
		r.FwdAlertingTime, r.FwdAnswerTime, r.CallEndTime, r.FailTime, r.RecordStartTime, r.RecordDomain,
		r.RecordObjectName, r.ServiceType, r.ExtendNumber, r.UserData)
}

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it by default (its appendString with escapeHTML): ", \ and the
// control characters escaped, \b \f \n \r \t by name and the others as
// \u00XX; <, > and & as \u003c, \u003e, \u0026; U+2028 and U+2029 as
// \u2028 and \u2029; each byte of invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other controls, and <, >, & (HTML-safe)
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029': // valid JSON, but not JavaScript (JSONP)
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
