// Package api owns xnum's HTTP side: the Huawei-compatible management API
// under /rest/… (SPEC §5) with its two signing schemes, the operator's admin
// API under /admin/v1/… (SPEC §8), the one table of result codes, the demo
// provisioning of SPEC §8, and the X-AKSK signer used for outbound webhooks
// (SPEC §6.1).
package api

import (
	"fmt"
	"net/http"
	"strings"
)

// Code is an API resultcode. It is a string on the wire (SPEC §5).
type Code string

// The result codes of SPEC §5 [HW codes; HTTP status DESIGN], plus one
// [DESIGN] code of our own for endpoints whose backend the embedding program
// did not wire (api.Deps).
const (
	CodeSuccess           Code = "0"
	CodeInternal          Code = "1010001"
	CodeInvalidRequest    Code = "1010002"
	CodeUnknownAppKey     Code = "1010003"
	CodeAppUnavailable    Code = "1010004"
	CodeRateLimited       Code = "1010010"
	CodeCreatedWindow     Code = "1010013"
	CodeAppFrozen         Code = "1010029"
	CodeWrongMode         Code = "1010040"
	CodeAXNotInApp        Code = "1011001"
	CodeAXNoFreeX         Code = "1011002"
	CodeAXTooManyX        Code = "1011003"
	CodeAXNotInAppAlt     Code = "1011004"
	CodeAXHasA            Code = "1011005"
	CodeXNotInApp         Code = "1012001"
	CodeBindingNotFound   Code = "1012007"
	CodeNoFreeXInArea     Code = "1012008"
	CodeXFull             Code = "1012009"
	CodeBindingExists     Code = "1012010"
	CodeRecordingDisabled Code = "1012012"
	CodeRecordNotFound    Code = "1016001"
	CodeRecordExists      Code = "1016002"
	CodeNoFreeExtension   Code = "1020167"
	CodeAuthFailed        Code = "1020176"
	CodeNoAuthHeader      Code = "1023006"
	CodeNotImplemented    Code = "1010501"
)

// CodeInfo is one row of the result-code table.
type CodeInfo struct {
	Code   Code
	HTTP   int    // HTTP status of an answer carrying Code
	Desc   string // default resultdesc
	When   string // when it is answered (for docs/API.md)
	Design bool   // our code, not the vendor's
}

// Codes is THE table of result codes (SPEC §5): handlers, tests and the
// generated section of docs/API.md all read it.
var Codes = []CodeInfo{
	{CodeSuccess, http.StatusOK, "Success", "success", false},
	{CodeInternal, http.StatusInternalServerError, "internal error", "internal error (store failure); details only in the log", false},
	{CodeInvalidRequest, http.StatusBadRequest, "invalid request", "bad format, missing or conflicting field, wrong JSON type, unknown prompt; resultdesc names the field", false},
	{CodeUnknownAppKey, http.StatusUnauthorized, "unknown app key", "the Username of the signature is no app", false},
	{CodeAppUnavailable, http.StatusForbidden, "app unavailable", "app unavailable", false},
	{CodeRateLimited, http.StatusTooManyRequests, "rate limit of this app reached", "more than api.rate_limit requests per second from one app", false},
	{CodeCreatedWindow, http.StatusUnauthorized, "Created outside the allowed window", "Created differs from the server clock by more than api.auth_window", false},
	{CodeAppFrozen, http.StatusForbidden, "app frozen", "bind, modify or unbind by a frozen app (arrears)", false},
	{CodeWrongMode, http.StatusForbidden, "API of another mode", "the app's mode is not the mode of the API called", false},
	{CodeAXNotInApp, http.StatusForbidden, "X not in this app", "AX, AXE, AXYB: privateNum/virtualNum is an X of another app", false},
	{CodeAXNoFreeX, http.StatusConflict, "no free X", "AX, AXE, AXYB: no free X in the app (bind without areaCode, or areaMatchMode 1)", false},
	{CodeAXTooManyX, http.StatusConflict, "A already has 5 X", "AX: origNum already holds 5 X (bind, or modify to that A)", false},
	{CodeAXNotInAppAlt, http.StatusForbidden, "X not in this app", "AX: privateNum is no X of the platform at all", false},
	{CodeAXHasA, http.StatusConflict, "X already has an A", "AX: privateNum already has its one A", false},
	{CodeXNotInApp, http.StatusForbidden, "X not in this app", "AXB: relationNum is not an X of this app", false},
	{CodeBindingNotFound, http.StatusNotFound, "binding not found", "AXB: binding not found (also unbinding twice)", false},
	{CodeNoFreeXInArea, http.StatusConflict, "no free X for the requested area", "no free X for the requested area: AXB (also no free X at all); AX, AXE, AXYB with areaMatchMode 0", false},
	{CodeXFull, http.StatusConflict, "X holds the maximum number of pairs", "the X already holds its maximum of pairs", false},
	{CodeBindingExists, http.StatusConflict, "binding already exists", "callerNum or calleeNum is already bound on that X", false},
	{CodeRecordingDisabled, http.StatusForbidden, "recording not enabled for the app", "recordFlag true for an app without recording", false},
	{CodeRecordNotFound, http.StatusNotFound, "record not found", "AX, AXE, AXYB: binding or B–Y relation not found (also unbinding twice); admin API: app, number or dead item not found", false},
	{CodeRecordExists, http.StatusConflict, "record already exists", "AXE: extendNum in use or bindNum already on that X; AXYB: X already has an A or serves as a Y; admin API: app exists, number assigned", false},
	{CodeNoFreeExtension, http.StatusConflict, "no free extension", "AXE: no free extension on the X (or on any X the request allows)", false},
	{CodeAuthFailed, http.StatusUnauthorized, "authentication failed", "wrong digest, reused nonce, malformed signature header; admin API: wrong or missing token", false},
	{CodeNoAuthHeader, http.StatusBadRequest, "no Authorization header", "no Authorization header on /rest/…", false},
	{CodeNotImplemented, http.StatusNotImplemented, "not available: no backend wired", "prompt upload, dead letters or recording download in a program that embeds api.New without that backend (api.Deps Prompts, Outbox, Records); the xnum daemon wires all three", true},
}

var codeIndex = func() map[Code]CodeInfo {
	m := make(map[Code]CodeInfo, len(Codes))
	for _, c := range Codes {
		m[c.Code] = c
	}
	return m
}()

// Info returns the table row of c; an unknown code reads as internal error.
func (c Code) Info() CodeInfo {
	if i, ok := codeIndex[c]; ok {
		return i
	}
	return codeIndex[CodeInternal]
}

// HTTPStatus is the HTTP status that accompanies c.
func (c Code) HTTPStatus() int { return c.Info().HTTP }

// Desc is c's default resultdesc.
func (c Code) Desc() string { return c.Info().Desc }

// CodesMarkdown renders the table as the generated section of docs/API.md.
func CodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| resultcode | HTTP | resultdesc | when |\n|---|---|---|---|\n")
	for _, c := range Codes {
		when := c.When
		if c.Design {
			when += " [DESIGN]"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", c.Code, c.HTTP, c.Desc, when)
	}
	return b.String()
}
