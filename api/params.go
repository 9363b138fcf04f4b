package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds a request body; the largest legitimate one (a bind) is well
// under 2 KiB.
const maxBody = 64 << 10

// params are a request's named parameters as raw JSON values, from a JSON
// body and/or the query string (SPEC §5: GET and DELETE read the query
// string, and also a JSON body when one is sent). Unknown names are ignored
// (clients send extras); a known name of the wrong type is a FieldError
// naming it. Query values are JSON strings, so integer and boolean getters
// accept decimal and "true"/"false" strings too — clients that stringify
// every field (and every GET) work.
type params struct {
	prefix string // "preVoice." inside an object, for error names
	m      map[string]json.RawMessage
}

// readParams builds the params of r. withQuery adds the query string; when a
// name is in both, the query string wins.
func readParams(w http.ResponseWriter, r *http.Request, withQuery bool) (params, error) {
	p := params{m: map[string]json.RawMessage{}}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return p, &FieldError{Field: "body", Reason: "unreadable or larger than 64 KiB"}
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &p.m); err != nil || p.m == nil {
			return p, &FieldError{Field: "body", Reason: "not a JSON object"}
		}
	}
	if withQuery {
		for k, vs := range r.URL.Query() {
			if len(vs) == 0 {
				continue
			}
			raw, _ := json.Marshal(vs[0]) // a string always marshals
			p.m[k] = raw
		}
	}
	return p, nil
}

func (p params) name(k string) string { return p.prefix + k }

func (p params) raw(k string) (json.RawMessage, bool) {
	v, ok := p.m[k]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		return nil, false
	}
	return v, true
}

// has reports whether k was sent with a non-null value.
func (p params) has(k string) bool { _, ok := p.raw(k); return ok }

// str returns a string field; ok=false when absent.
func (p params) str(k string) (string, bool, error) {
	v, ok := p.raw(k)
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", true, fieldErr(p.name(k), "must be a string")
	}
	return s, true, nil
}

// integer returns an integer field sent as a JSON number or a decimal string.
func (p params) integer(k string) (int64, bool, error) {
	v, ok := p.raw(k)
	if !ok {
		return 0, false, nil
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return 0, true, fieldErr(p.name(k), "must be an integer")
		}
		s = n.String()
	}
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, true, fieldErr(p.name(k), "must be an integer")
	}
	return i, true, nil
}

// boolean returns a boolean field sent as JSON true/false or "true"/"false".
func (p params) boolean(k string) (bool, bool, error) {
	v, ok := p.raw(k)
	if !ok {
		return false, false, nil
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return b, true, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, true, nil
		case "false":
			return false, true, nil
		}
	}
	return false, true, fieldErr(p.name(k), "must be true or false")
}

// object returns a nested JSON object as params (e.g. preVoice).
func (p params) object(k string) (params, bool, error) {
	v, ok := p.raw(k)
	if !ok {
		return params{}, false, nil
	}
	sub := params{prefix: p.name(k) + "."}
	if err := json.Unmarshal(v, &sub.m); err != nil || sub.m == nil {
		return params{}, true, fieldErr(p.name(k), "must be an object")
	}
	return sub, true, nil
}

// intIn returns an integer field that must be def when absent, else one of
// the accepted ranges [lo, hi] (inclusive pairs).
func (p params) intIn(k string, def int64, ranges ...int64) (int64, error) {
	v, ok, err := p.integer(k)
	if err != nil || !ok {
		return def, err
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		if v >= ranges[i] && v <= ranges[i+1] {
			return v, nil
		}
	}
	return 0, fieldErr(p.name(k), "out of range")
}

// strs returns an array-of-strings field.
func (p params) strs(k string) ([]string, bool, error) {
	v, ok := p.raw(k)
	if !ok {
		return nil, false, nil
	}
	var out []string
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, true, fieldErr(p.name(k), "must be an array of strings")
	}
	return out, true, nil
}
