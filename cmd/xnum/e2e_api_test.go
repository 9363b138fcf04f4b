package main

// HTTP side of the e2e harness: the admin API (Bearer token, SPEC §8), the
// AXB management API signed with X-AKSK as SPEC §5 describes it (the signer
// is written here from the spec text, not taken from the server's code),
// and CDR polling.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// doJSON sends one request and decodes the JSON answer into out (if not
// nil). It returns the HTTP status and the raw body.
func (e *env) doJSON(method, path string, hdr http.Header, body, out any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := withDeadline()
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.apiURL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: HTTP %d, not JSON: %v\n%s", method, path, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// admin calls the admin API and requires resultcode "0".
func (e *env) admin(method, path string, body any, out any) {
	e.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + e.token}}
	var env struct {
		ResultCode string `json:"resultcode"`
		ResultDesc string `json:"resultdesc"`
	}
	status, raw := e.doJSON(method, path, h, body, &env)
	if status != http.StatusOK || env.ResultCode != "0" {
		e.t.Fatalf("admin %s %s: HTTP %d %s", method, path, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// addNumbers adds X numbers to an app (admin API).
func (e *env) addNumbers(app, areaCode string, numbers ...string) {
	e.t.Helper()
	e.admin("POST", "/admin/v1/apps/"+app+"/numbers", map[string]any{"numbers": numbers, "areaCode": areaCode}, nil)
}

// akskHeaders signs a management API request as SPEC §5 X-AKSK:
// PasswordDigest = Base64(HMAC-SHA256(key=appSecret, msg=Nonce+Created)).
func akskHeaders(appKey, appSecret string, now time.Time) http.Header {
	nb := make([]byte, 16)
	if _, err := rand.Read(nb); err != nil {
		panic(err)
	}
	nonce := hex.EncodeToString(nb)
	created := now.UTC().Format("2006-01-02T15:04:05Z")
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(nonce + created))
	digest := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return http.Header{
		"Authorization": {`AKSK realm="SDP",profile="UsernameToken",type="Appkey"`},
		"X-Aksk": {fmt.Sprintf(`UsernameToken Username="%s", PasswordDigest="%s", Nonce="%s", Created="%s"`,
			appKey, digest, nonce, created)},
	}
}

// axbBind is the AXB bind body (SPEC §5); zero fields are left out.
type axbBind struct {
	RelationNum   string `json:"relationNum,omitempty"`
	CallerNum     string `json:"callerNum"`
	CalleeNum     string `json:"calleeNum"`
	CallDirection int    `json:"callDirection"`
}

// bind creates an AXB binding through the management API and returns its
// subscriptionId.
func (e *env) bind(appKey, appSecret string, b axbBind) string {
	e.t.Helper()
	var resp struct {
		ResultCode     string `json:"resultcode"`
		SubscriptionID string `json:"subscriptionId"`
		RelationNum    string `json:"relationNum"`
	}
	status, raw := e.doJSON("POST", "/rest/caas/relationnumber/partners/v1.0",
		akskHeaders(appKey, appSecret, time.Now()), b, &resp)
	if status != http.StatusOK || resp.ResultCode != "0" || resp.SubscriptionID == "" {
		e.t.Fatalf("AXB bind %+v: HTTP %d %s", b, status, raw)
	}
	return resp.SubscriptionID
}

// cdrRec is a CDR as the admin API returns it: the SPEC §6.2 field names,
// declared here independently of package cdr so a renamed field fails.
type cdrRec struct {
	ICID             string `json:"icid"`
	Direction        int    `json:"direction"`
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
	ServiceType      string `json:"serviceType"`
	SPID             string `json:"spId"`
	RecordFlag       int    `json:"recordFlag"`
	RecordStartTime  string `json:"recordStartTime"`
	RecordDomain     string `json:"recordDomain"`
	RecordObjectName string `json:"recordObjectName"`
	ExtendNumber     string `json:"extendNumber"`
	UserData         string `json:"userData"`
}

// cdrs polls GET /admin/v1/cdrs with q until at least n records exist (or
// a deadline) and returns them, newest first.
func (e *env) cdrs(q url.Values, n int) []cdrRec {
	e.t.Helper()
	q.Set("pageSize", "1000")
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var resp struct {
			ResultCode string   `json:"resultcode"`
			Total      int      `json:"total"`
			CDRs       []cdrRec `json:"cdrs"`
		}
		e.admin("GET", "/admin/v1/cdrs?"+q.Encode(), nil, &resp)
		if resp.Total >= n && len(resp.CDRs) >= n {
			return resp.CDRs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("CDRs for %s: %d after 15s, want %d: %+v", q.Encode(), resp.Total, n, resp.CDRs)
		}
		<-tick.C
	}
}

// lastCDR waits for the n-th CDR of the demo X and returns the newest.
func (e *env) lastCDR(q url.Values, n int) cdrRec { return e.cdrs(q, n)[0] }

func byBindNum(x string) url.Values { return url.Values{"bindNum": {x}} }

// cdrWant is what a scenario asserts on its CDR; zero string fields are
// not checked unless listed in Empty.
type cdrWant struct {
	ULFailReason     int
	SIPStatusCode    int
	CallRelDirection int // checked when >= 0 (use -1 to skip)
	FwdUnaswRsn      int // checked when > 0
	CallerNum        string
	FwdDstNum        string
	BindNum          string
	SubscriptionID   string // checked when set
	NoSubscription   bool   // subscriptionId must be ""
	HasSubscription  bool   // subscriptionId must be set
	Answered         bool   // fwdAnswerTime must be set (else must be empty)
}

func checkCDR(t testing.TB, got cdrRec, w cdrWant) {
	t.Helper()
	bad := func(field string, have, want any) {
		t.Helper()
		t.Errorf("CDR %s = %v, want %v (record %+v)", field, have, want, got)
	}
	if got.ULFailReason != w.ULFailReason {
		bad("ulFailReason", got.ULFailReason, w.ULFailReason)
	}
	if got.SIPStatusCode != w.SIPStatusCode {
		bad("sipStatusCode", got.SIPStatusCode, w.SIPStatusCode)
	}
	if w.CallRelDirection >= 0 && got.CallRelDirection != w.CallRelDirection {
		bad("callRelDirection", got.CallRelDirection, w.CallRelDirection)
	}
	if w.FwdUnaswRsn > 0 && got.FwdUnaswRsn != w.FwdUnaswRsn {
		bad("fwdUnaswRsn", got.FwdUnaswRsn, w.FwdUnaswRsn)
	}
	if w.CallerNum != "" && got.CallerNum != w.CallerNum {
		bad("callerNum", got.CallerNum, w.CallerNum)
	}
	if w.FwdDstNum != "" && got.FwdDstNum != w.FwdDstNum {
		bad("fwdDstNum", got.FwdDstNum, w.FwdDstNum)
	}
	if w.BindNum != "" && got.BindNum != w.BindNum {
		bad("bindNum", got.BindNum, w.BindNum)
	}
	if w.SubscriptionID != "" && got.SubscriptionID != w.SubscriptionID {
		bad("subscriptionId", got.SubscriptionID, w.SubscriptionID)
	}
	if w.HasSubscription && got.SubscriptionID == "" {
		bad("subscriptionId", `""`, "set")
	}
	if w.NoSubscription && got.SubscriptionID != "" {
		bad("subscriptionId", got.SubscriptionID, `""`)
	}
	if w.Answered != (got.FwdAnswerTime != "") {
		bad("fwdAnswerTime", got.FwdAnswerTime, map[bool]string{true: "set", false: `""`}[w.Answered])
	}
	if w.BindNum != "" && got.CalleeNum != w.BindNum {
		bad("calleeNum (the dialled X)", got.CalleeNum, w.BindNum)
	}
	if w.FwdDstNum != "" && w.BindNum != "" && got.FwdDisplayNum != w.BindNum {
		bad("fwdDisplayNum (the X shown to B)", got.FwdDisplayNum, w.BindNum)
	}
	if got.AppKey == demoApp && got.ServiceType != "004" {
		bad("serviceType", got.ServiceType, "004 (AXB)")
	}
	if got.ICID == "" || got.SessionID == "" || got.CallInTime == "" {
		t.Errorf("CDR lacks icid/sessionId/callInTime: %+v", got)
	}
}
