package routing

// Cause is a platform release cause: the CDR's ulFailReason and the
// disconnect event's stateCode (SPEC §6.3). 0 is a normal clear.
type Cause int

// The release causes of SPEC §6.3 [HW].
const (
	CauseNormal            Cause = 0
	CauseInternal          Cause = 7102
	CauseAppFrozen         Cause = 7108
	CauseCancelBefore18x   Cause = 7501
	CauseCancelAfter18x    Cause = 7502
	CauseCalleeDeclined    Cause = 7504
	CauseCallerNetwork     Cause = 7505
	CauseCalleeNetwork     Cause = 7506
	CauseRoutingFailure    Cause = 7508
	CauseHangupBeforeXfer  Cause = 7516
	CauseCancelNoBLeg      Cause = 8009
	CauseMaxDuration       Cause = 8010
	CauseNoTempCallee      Cause = 8013
	CauseNoBinding         Cause = 8014
	CauseDirection         Cause = 8016
	CauseXModeClose        Cause = 8017
	CauseNoCallback        Cause = 8019
	CauseBadExtension      Cause = 8022
	CauseFixedLineCaller   Cause = 8023
	CauseAXENoBinding      Cause = 8025
	CauseNoRelation        Cause = 8030
	CauseNoFreeY           Cause = 8031
	CauseOwnX              Cause = 8032
	CauseNoDigits          Cause = 8033
	CauseRingTimeout       Cause = 8035
	CauseXSuspended        Cause = 8055
	CauseCalleeNotExist    Cause = 8100
	CauseCalleeNoAnswer    Cause = 8101
	CauseCalleeBusy        Cause = 8102
	CauseCalleeUnreachable Cause = 8103
)

// Release is how a call ends towards A: the SIP final status (0 when the call
// is released by BYE), the Q.850 cause carried in the Reason header, and the
// prompt that plays first as early media ("" for none).
type Release struct {
	Cause     Cause
	SIPStatus int
	Q850      int
	Prompt    string
	Desc      string
}

// Built-in prompt names (SPEC §4.3). The media issue ships the audio.
const (
	PromptNoBinding   = "no_binding" // 请使用绑定号码呼叫
	PromptNoPerm      = "no_permission"
	PromptError       = "platform_error"
	PromptFixedCaller = "fixed_caller"
	PromptEnterExt    = "enter_extension"
	PromptInvalidExt  = "invalid_extension"
	PromptRecording   = "recording_notice"
	PromptLastMinute  = "last_minute"
	PromptConnecting  = "connecting"

	// PromptNone, set as a binding's prompt, plays nothing (SPEC §4.3).
	PromptNone = "none"
)

// BuiltinPrompts is the default prompt set.
var BuiltinPrompts = []string{
	PromptNoBinding, PromptNoPerm, PromptError, PromptFixedCaller, PromptEnterExt,
	PromptInvalidExt, PromptRecording, PromptLastMinute, PromptConnecting,
}

// releases, bFailureRows, bFailureClass, q850Causes and rtpTimeoutRows below
// are THE table of SPEC §4.2, in this one file. releases has one row per
// cause (Table.For); B's failures have their own rows keyed by B's status
// (Table.BFailure), because one cause (7508, 8101) answers A differently
// depending on what B said. Config overrides either kind (config keys
// release and b_failure; NewTable, Table.WithBFailure).
var releases = []Release{
	{CauseNormal, 0, 16, "", "normal clear"},
	{CauseUnprovisioned, 404, 1, "", "number is no X of the platform"},
	{CauseLoop, 482, 25, "", "caller is an X of the platform"},
	{CauseNoBinding, 403, 21, PromptNoBinding, "no binding"},
	{CauseBadExtension, 403, 21, PromptInvalidExt, "extension unknown or expired"},
	{CauseNoRelation, 403, 21, PromptNoBinding, "AXYB relation missing"},
	{CauseNoCallback, 403, 21, PromptNoBinding, "no callback record"},
	{CauseNoTempCallee, 403, 21, PromptNoBinding, "AX call without temporary callee"},
	{CauseAXENoBinding, 403, 21, PromptNoBinding, "AXE X without binding"},
	{CauseDirection, 403, 21, PromptNoPerm, "direction not allowed"},
	{CauseFixedLineCaller, 403, 21, PromptFixedCaller, "bound fixed-line number as caller"},
	{CauseOwnX, 403, 21, PromptNoPerm, "A dialled its own X"},
	{CauseAppFrozen, 403, 21, PromptError, "app frozen"},
	{CauseXSuspended, 403, 21, PromptError, "X suspended"},
	{CauseXModeClose, 480, 16, "", "enterprise said close"},
	{CauseNoFreeY, 500, 41, PromptError, "no free Y"},
	{CauseInternal, 500, 41, PromptError, "internal error"},
	{CauseNoDigits, 403, 21, PromptInvalidExt, "no extension digits"},
	{CauseRingTimeout, 480, 19, "", "no answer within the ring timeout"},
	{CauseCancelNoBLeg, 487, 16, "", "caller hung up before any B leg"},
	{CauseHangupBeforeXfer, 487, 16, "", "caller hung up before transfer"},
	{CauseCancelBefore18x, 487, 16, "", "caller cancelled before B's 18x"},
	{CauseCancelAfter18x, 487, 16, "", "caller cancelled after B's 18x"},
	{CauseCalleeBusy, 486, 17, "", "callee busy"},
	{CauseCalleeNotExist, 404, 1, "", "callee does not exist"},
	// 8101 carries Q.850 18 (no user responding) for B's 480 and 19 (no
	// answer) for B's 408: bFailureRows below has both.
	{CauseCalleeNoAnswer, 480, 18, "", "callee no answer"},
	{CauseCalleeUnreachable, 480, 20, "", "callee unreachable"},
	{CauseCalleeDeclined, 603, 21, "", "callee declined"},
	{CauseRoutingFailure, 480, 3, "", "routing failure"},
	// 7505/7506 as a cause row are network failures; an RTP timeout releases
	// an answered call by BYE instead (rtpTimeoutRows).
	{CauseCalleeNetwork, 480, 38, "", "callee-side network failure"},
	{CauseCallerNetwork, 0, 41, "", "caller-side network failure"},
	{CauseMaxDuration, 0, 16, "", "maximum duration reached"},
}

// Internal aliases: rows of the table that report an existing code but answer
// A differently. They are never reported: Code() turns them back.
const (
	// CauseUnprovisioned is 8014 for a number that is no X at all: same code
	// as "no binding" towards the enterprise, but 404 / cause 1 towards A and
	// no prompt (SPEC §4.2 first row).
	CauseUnprovisioned Cause = -8014
	// CauseLoop is 8014 for an INVITE whose caller is itself an X of the
	// platform (SPEC §2 loop and fraud guard): 482 Loop Detected towards A,
	// Q.850 25 "exchange routing error" [DESIGN].
	CauseLoop Cause = -18014
)

// Code is the cause as reported in CDRs and events (ulFailReason, stateCode).
func (c Cause) Code() int {
	switch c {
	case CauseUnprovisioned, CauseLoop:
		return int(CauseNoBinding)
	}
	return int(c)
}

// Code is the release's cause as reported in CDRs and events.
func (r Release) Code() int { return r.Cause.Code() }

// bFailureRows map B's final status to the release towards A (SPEC §4.2, the
// "B rejects" rows). B's own status is never relayed as such: 3xx would hand A
// B's Contact, 401/407 would invite A to answer B's challenge, and 503 would
// make A's network retry elsewhere (RFC 3261 §21.5.4), so each becomes xnum's
// own status. Rows whose status is not listed fall back to bFailureClass.
var bFailureRows = map[int]Release{
	486: {CauseCalleeBusy, 486, 17, "", "callee busy"},
	600: {CauseCalleeBusy, 486, 17, "", "callee busy everywhere"},
	404: {CauseCalleeNotExist, 404, 1, "", "callee does not exist"},
	484: {CauseCalleeNotExist, 404, 1, "", "callee address incomplete"},
	604: {CauseCalleeNotExist, 404, 1, "", "callee does not exist anywhere"},
	480: {CauseCalleeNoAnswer, 480, 18, "", "callee temporarily unavailable"},
	408: {CauseCalleeNoAnswer, 480, 19, "", "callee request timeout"},
	603: {CauseCalleeDeclined, 603, 21, "", "callee declined"},
	403: {CauseCalleeDeclined, 603, 21, "", "callee forbidden"},
	401: {CauseRoutingFailure, 500, 41, "", "callee trunk asked for credentials"},
	407: {CauseRoutingFailure, 500, 41, "", "callee trunk asked for proxy credentials"},
	// Statuses SPEC §4.2 leaves to "other 4xx/6xx" [DESIGN]: still 7508 and 480
	// towards A, but the Q.850 cause of RFC 3398 §8.2.6.1 where it names one,
	// so that A's network can tell a permanent failure from a transient one.
	400: {CauseRoutingFailure, 480, 41, "", "callee trunk: bad request"},
	402: {CauseRoutingFailure, 480, 21, "", "callee trunk: payment required"},
	405: {CauseRoutingFailure, 480, 63, "", "callee trunk: method not allowed"},
	406: {CauseRoutingFailure, 480, 79, "", "callee trunk: not acceptable"},
	410: {CauseRoutingFailure, 480, 22, "", "callee gone"},
	415: {CauseRoutingFailure, 480, 79, "", "callee trunk: unsupported media type"},
	482: {CauseRoutingFailure, 480, 25, "", "callee trunk: loop detected"},
	483: {CauseRoutingFailure, 480, 25, "", "callee trunk: too many hops"},
	485: {CauseRoutingFailure, 480, 1, "", "callee ambiguous"},
	488: {CauseRoutingFailure, 480, 65, "", "callee trunk: not acceptable here"},
	606: {CauseRoutingFailure, 480, 58, "", "callee: not acceptable"},
}

// bFailureClass is the row of a whole status class (status/100) when the
// exact status has no row. Other 4xx/6xx carry 127 "interworking,
// unspecified" [DESIGN]: B failed for a reason the ISUP side has no name for.
var bFailureClass = map[int]Release{
	3: {CauseRoutingFailure, 480, 3, "", "callee redirected (not followed)"},
	4: {CauseRoutingFailure, 480, 127, "", "callee rejected"},
	5: {CauseCalleeNetwork, 480, 38, "", "callee-side server failure"},
	6: {CauseRoutingFailure, 480, 127, "", "callee rejected globally"},
}

// q850Causes maps the Q.850 cause of B's Reason header (RFC 3326) to our
// release cause [DESIGN, SPEC §4.2]; a cause not listed is 7508.
var q850Causes = map[int]Cause{
	1: CauseCalleeNotExist, 22: CauseCalleeNotExist, 28: CauseCalleeNotExist,
	18: CauseCalleeNoAnswer, 19: CauseCalleeNoAnswer, 102: CauseCalleeNoAnswer,
	17: CauseCalleeBusy,
	20: CauseCalleeUnreachable,
	21: CauseCalleeDeclined,
	34: CauseCalleeNetwork, 38: CauseCalleeNetwork, 41: CauseCalleeNetwork, 42: CauseCalleeNetwork,
}

// rtpTimeoutRows release an answered call whose media stopped (SPEC §4.2,
// "RTP timeout"): BYE on both legs, Q.850 41 "temporary failure". The key is
// whether the silent leg is the caller's.
var rtpTimeoutRows = map[bool]Release{
	true:  {CauseCallerNetwork, 0, 41, "", "RTP timeout on the caller's leg"},
	false: {CauseCalleeNetwork, 0, 41, "", "RTP timeout on the callee's leg"},
}
