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
)

// BuiltinPrompts is the default prompt set.
var BuiltinPrompts = []string{
	PromptNoBinding, PromptNoPerm, PromptError, PromptFixedCaller, PromptEnterExt,
	PromptInvalidExt, PromptRecording, PromptLastMinute, PromptConnecting,
}

// releases is THE table of SPEC §4.2: one row per cause. B-leg failures are
// mapped to a cause first (BFailure), then looked up here. Config may
// override rows (Table.Override).
var releases = []Release{
	{CauseNormal, 0, 16, "", "normal clear"},
	{CauseUnprovisioned, 404, 1, "", "number is no X of the platform"},
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
	{CauseCalleeNoAnswer, 480, 18, "", "callee no answer"},
	{CauseCalleeUnreachable, 480, 20, "", "callee unreachable"},
	{CauseCalleeDeclined, 603, 21, "", "callee declined"},
	{CauseRoutingFailure, 480, 3, "", "routing failure"},
	{CauseCalleeNetwork, 480, 38, "", "callee-side network failure"},
	{CauseCallerNetwork, 0, 41, "", "caller-side network failure"},
	{CauseMaxDuration, 0, 16, "", "maximum duration reached"},
}

// CauseUnprovisioned is 8014 for a number that is no X at all: same code as
// "no binding" towards the enterprise, but 404 / cause 1 towards A and no
// prompt (SPEC §4.2 first row). It is an internal alias, never reported:
// Code() turns it back into 8014.
const CauseUnprovisioned Cause = -8014

// Code is the cause as reported in CDRs and events.
func (c Cause) Code() int {
	if c == CauseUnprovisioned {
		return int(CauseNoBinding)
	}
	return int(c)
}
