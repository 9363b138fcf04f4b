#!/usr/bin/env bash
# bench-outbox.sh — event and CDR delivery under call load, behind `make bench`
# (docs/EVENTS.md "Speed"; issue 5 "Speed").
#
# Starts bin/xnum with bench.sh's config (the demo binding, the RTP relay
# on), points the demo app's statusUrl and feeUrl at a webhook receiver on
# loopback (testdata/sipp/hookrecv: answers 200 at once), runs the AXB SIPp load (bench_uac.xml → xnum → bench_uas.xml,
# both directions) at a fixed rate, and every second reads xnum's /metrics:
# the outbox depth (xnum_outbox_depth{state="pending"}), events and CDRs
# queued and delivered; a row every few seconds. After the load it waits for
# the outbox to drain. The outbox "keeps up" when it does not grow: the
# floor of its depth (the least of the samples) in the last third of the
# load is within RATE items (a sixth of a second's production: a call
# makes six) of the floor in the first third, and it drains after the load.
# A transient backlog that drains while the load goes on (a GC cycle, a
# memtable flush) is not growth; its peak and how long the depth stayed
# above one second's items are reported beside the verdict. Falling behind
# by more than ~0.4 % over a 60-s load raises the floor past the margin.
# A run whose calls did not complete (< 99.9 % ok) gets no verdict.
# Every call makes five events (callin, callout, alerting, answer,
# disconnect) and one CDR, each its own synced write, plus the synced call
# state at answer. Everything started here is stopped on exit.
#
# Knobs (environment):
#   BENCH_BIN           binary to run                   [bin/xnum]
#   BENCH_OUTBOX_RATE   calls/s: `make bench` passes bench.sh's highest
#                       clean call rate (held 60 s)      [1000]
#   BENCH_OUTBOX_SECS   seconds of load                  [60]
#   BENCH_OUTBOX_EVERY  seconds between rows             [5]
#   BENCH_OUTBOX_NET    /24 of the loopback range        [127.0.78]
#   BENCH_OUTBOX_LOG    xnum's log.level                 [warn]
#   BENCH_KEEP=1        keep the work directory
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCEN="$ROOT/testdata/sipp"
BIN=${BENCH_BIN:-$ROOT/bin/xnum}
RATE=${BENCH_OUTBOX_RATE:-1000}
SECS=${BENCH_OUTBOX_SECS:-60}
EVERY=${BENCH_OUTBOX_EVERY:-5}
NET=${BENCH_OUTBOX_NET:-127.0.78}
XN_IP=$NET.1 CALLER_IP=$NET.2 TRUNK_IP=$NET.3 HOOK_IP=$NET.6
SIP_PORT=5060 API_PORT=18080 TRUNK_PORT=5070 HOOK_PORT=18090
TOKEN=bench-admin-token
BUF=8388608
API="http://$XN_IP:$API_PORT"

die() { echo "bench-outbox: $*" >&2; exit 1; }
command -v sipp >/dev/null || die "sipp not found (Debian package sip-tester)"
command -v curl >/dev/null || die "curl not found"
[ -x "$BIN" ] || die "$BIN not built (make build)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/xnum-bench-outbox-XXXXXX")
PIDS=()
SYSCTL_RESTORE=()
cleanup() {
	local pid kv
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for kv in "${SYSCTL_RESTORE[@]}"; do sysctl -q -w "$kv" >/dev/null 2>&1; done
	if [ "${BENCH_KEEP:-}" = 1 ]; then echo "bench-outbox: work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" = 0 ]; then
	for key in net.core.rmem_max net.core.wmem_max; do
		old=$(sysctl -n "$key" 2>/dev/null) || continue
		if [ "$old" -lt $((2 * BUF)) ] && sysctl -q -w "$key=$((2 * BUF))" >/dev/null 2>&1; then
			SYSCTL_RESTORE+=("$key=$old")
		fi
	done
fi

wait_until() {
	local deadline=$(($(date +%s) + $1)); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
healthy() { curl -fsS -o /dev/null "$API/healthz" 2>/dev/null; }
hook_up() { curl -fsS -o /dev/null "http://$HOOK_IP:$HOOK_PORT/stats" 2>/dev/null; }
udp_bound() {
	local hex
	hex=$(printf '%02X%02X%02X%02X:%04X' $(echo "$1" | awk -F. '{print $4, $3, $2, $1}') "$2")
	grep -q " $hex " /proc/net/udp
}

# The receiver, built from the repository (no network needed).
(cd "$ROOT" && go build -o "$WORK/hookrecv" ./testdata/sipp/hookrecv) || die "build hookrecv"
"$WORK/hookrecv" -listen "$HOOK_IP:$HOOK_PORT" >"$WORK/hookrecv.log" 2>&1 &
PIDS+=($!)
HPID=$!
wait_until 10 hook_up || die "receiver not up on $HOOK_IP:$HOOK_PORT"

cat >"$WORK/xnum.yaml" <<EOF
# bench-outbox config: demo app and binding, webhooks to the local receiver
sip:
  listen: "$XN_IP:$SIP_PORT"
  udp_buffer: $BUF
trunk:
  outbound: "$TRUNK_IP:$TRUNK_PORT"
api:
  listen: "$XN_IP:$API_PORT"
  admin_token: "$TOKEN"
store:
  dir: "$WORK/store"
media:
  rtp_ports: 10000-59999   # as bench.sh: this is its config plus the receiver
cdr:
  file: "$WORK/cdr.jsonl"
demo:
  enabled: true
log:
  level: ${BENCH_OUTBOX_LOG:-warn}
EOF
"$BIN" serve --config "$WORK/xnum.yaml" >"$WORK/xnum.log" 2>&1 &
XPID=$!
PIDS+=("$XPID")
wait_until 30 healthy || { tail -20 "$WORK/xnum.log"; die "xnum not healthy within 30s"; }
curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d "{\"statusUrl\":\"http://$HOOK_IP:$HOOK_PORT/status\",\"feeUrl\":\"http://$HOOK_IP:$HOOK_PORT/fee\"}" \
	"$API/admin/v1/apps/demo" >/dev/null || die "could not point the demo app at the receiver"

sipp -sf "$SCEN/bench_uas.xml" -i "$TRUNK_IP" -p "$TRUNK_PORT" -bind_local -ci "$TRUNK_IP" \
	-mi "$NET.13" -nostdin -buff_size "$BUF" -max_recv_loops 10000 -max_sched_loops 10000 \
	-trace_err -error_file "$WORK/uas_errors.log" >"$WORK/uas_screen.log" 2>&1 &
PIDS+=($!)
wait_until 10 udp_bound "$TRUNK_IP" "$TRUNK_PORT" || die "callee SIPp did not bind"

# metric NAME LABELS: one sample of xnum's /metrics (0 when absent).
scrape() { curl -fsS "$API/metrics" 2>/dev/null >"$WORK/metrics.txt" || : >"$WORK/metrics.txt"; }
metric() {
	local want=$1
	[ -n "$2" ] && want="$1{$2}"
	awk -v want="$want" '$1 == want {print $2; found = 1} END {if (!found) print 0}' "$WORK/metrics.txt"
}
sample() { # sets PEND DEAD EV_Q EV_D FEE_Q FEE_D ANS MEMQ WR WN
	scrape
	PEND=$(metric xnum_outbox_depth 'state="pending"')
	DEAD=$(metric xnum_outbox_depth 'state="dead"')
	EV_Q=$(metric xnum_outbox_items_total 'kind="event",result="enqueued"')
	EV_D=$(metric xnum_outbox_items_total 'kind="event",result="delivered"')
	FEE_Q=$(metric xnum_outbox_items_total 'kind="fee",result="enqueued"')
	FEE_D=$(metric xnum_outbox_items_total 'kind="fee",result="delivered"')
	ANS=$(metric xnum_sip_calls_total 'cause="0",result="answered"')
	MEMQ=$(metric xnum_sip_event_queue '')
	MEMQ=${MEMQ:-0}
	WR=$(metric xnum_outbox_writes_total '')
	WN=$(metric xnum_outbox_written_total '')
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_ticks() { awk '/^cpu /{t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)
rate() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN{printf "%.0f", (s > 0 ? (b - a) / s : 0)}'; }

# Flush dirty pages and wait (≤ 30 s) for an idle machine: run right after
# bench.sh (make bench), the load would otherwise share the box with the
# writeback and deletion of that bench's store.
sync
for _ in $(seq 30); do
	read -r b0 t0 <<<"$(machine_ticks)"; sleep 1; read -r b1 t1 <<<"$(machine_ticks)"
	awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN{exit !(t > 0 && 100 * n * b / t < 10)}' && break
done
echo "bench-outbox: $RATE calls/s for ${SECS}s through xnum ($XN_IP), webhooks to $HOOK_IP:$HOOK_PORT; a row every ${EVERY}s"
echo "bench-outbox: machine load average $(cut -d' ' -f1-3 /proc/loadavg) before the run ($(nproc) cores)"
CALLS=$((RATE * SECS))
(cd "$WORK" && sipp "$XN_IP:$SIP_PORT" -sf "$SCEN/bench_uac.xml" -inf "$SCEN/bench_calls.csv" \
	-i "$CALLER_IP" -bind_local -ci "$CALLER_IP" -mi "$NET.12" -nostdin \
	-r "$RATE" -m "$CALLS" -l 100000 -recv_timeout 5000 -timeout "$((SECS + 60))s" \
	-buff_size "$BUF" -max_recv_loops 10000 -max_sched_loops 10000 \
	-trace_stat -stf stat.csv -fd 1 -trace_err -error_file uac_errors.log >uac_screen.log 2>&1) &
SPID=$!
PIDS+=("$SPID")

printf '  %6s | %9s | %7s %7s %7s | %9s %9s | %7s %7s | %6s | %5s | %s\n' "t" "calls/s" "pending" "peak" "dead" "ev in/s" "ev out/s" "cdr in/s" "cdr out/s" "in mem" "burst" "CPU: xnum, receiver, machine (of $(nproc)00%)"
sample
T0=$(date +%s.%N) PT=$T0 P_EV_Q=$EV_Q P_EV_D=$EV_D P_FEE_Q=$FEE_Q P_FEE_D=$FEE_D P_ANS=$ANS P_WR=$WR P_WN=$WN S_WR=$WR S_WN=$WN
P_CPU=$(cpu_ticks "$XPID") P_HCPU=$(cpu_ticks "$HPID")
read -r P_MB P_MT <<<"$(machine_ticks)"
DEPTHS=() # one a second, for the verdict
EVOUTS=() # events delivered a second, one a row
PEAK=0 TICK=0
while kill -0 "$SPID" 2>/dev/null; do
	sleep 1
	sample
	DEPTHS+=("${PEND%.*}")
	[ "${PEND%.*}" -gt "$PEAK" ] && PEAK=${PEND%.*}
	TICK=$((TICK + 1))
	[ $((TICK % EVERY)) = 0 ] || continue
	NOW=$(date +%s.%N)
	DT=$(awk -v a="$PT" -v b="$NOW" 'BEGIN{print b - a}')
	T=$(awk -v a="$T0" -v b="$NOW" 'BEGIN{printf "%.0f", b - a}')
	CPU=$(cpu_ticks "$XPID") HCPU=$(cpu_ticks "$HPID")
	read -r MB MT <<<"$(machine_ticks)"
	XCPU=$(awk -v d="$((CPU - P_CPU))" -v hz="$CLK_TCK" -v w="$DT" 'BEGIN{printf "%.0f%%", (w > 0 ? 100 * d / hz / w : 0)}')
	HCPU_PCT=$(awk -v d="$((HCPU - P_HCPU))" -v hz="$CLK_TCK" -v w="$DT" 'BEGIN{printf "%.0f%%", (w > 0 ? 100 * d / hz / w : 0)}')
	MCPU=$(awk -v b="$((MB - P_MB))" -v t="$((MT - P_MT))" -v n="$(nproc)" 'BEGIN{printf "%.0f%%", (t > 0 ? 100 * n * b / t : 0)}')
	BURST=$(awk -v w0="$P_WR" -v w1="$WR" -v n0="$P_WN" -v n1="$WN" 'BEGIN{w = w1 - w0; printf "%.1f", (w > 0 ? (n1 - n0) / w : 0)}')
	printf '  %5ss | %9s | %7s %7s %7s | %9s %9s | %7s %7s | %6s | %5s | %s, %s\n' "$T" "$(rate "$P_ANS" "$ANS" "$DT")" "$PEND" "$PEAK" "$DEAD" \
		"$(rate "$P_EV_Q" "$EV_Q" "$DT")" "$(rate "$P_EV_D" "$EV_D" "$DT")" \
		"$(rate "$P_FEE_Q" "$FEE_Q" "$DT")" "$(rate "$P_FEE_D" "$FEE_D" "$DT")" "$MEMQ" "$BURST" "$XCPU, $HCPU_PCT" "$MCPU"
	EVOUTS+=("$(rate "$P_EV_D" "$EV_D" "$DT")")
	PEAK=0
	PT=$NOW P_EV_Q=$EV_Q P_EV_D=$EV_D P_FEE_Q=$FEE_Q P_FEE_D=$FEE_D P_ANS=$ANS P_WR=$WR P_WN=$WN P_CPU=$CPU P_HCPU=$HCPU P_MB=$MB P_MT=$MT
done
wait "$SPID" 2>/dev/null
LOAD_END=$(date +%s.%N)
LOAD_SECS=$(awk -v a="$T0" -v b="$LOAD_END" 'BEGIN{printf "%.1f", b - a}')
END_DEPTH=$PEND

# Drain: how long until nothing is pending (bounded).
DRAIN=-
for i in $(seq 1 600); do
	sample
	if [ "${PEND%.*}" = 0 ] && [ "${MEMQ%.*}" = 0 ]; then
		DRAIN=$(awk -v a="$LOAD_END" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
		break
	fi
	sleep 0.1
done

read -r OK FAILED RETX <<<"$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) col[$i]=i; next} {last=$0}
	END{split(last,v,";"); printf "%d %d %d", v[col["SuccessfulCall(C)"]], v[col["FailedCall(C)"]], v[col["Retransmissions(C)"]]}' "$WORK/stat.csv" 2>/dev/null)"
STATS=$(curl -fsS "http://$HOOK_IP:$HOOK_PORT/stats" | tr '\n' ' ')
n=${#DEPTHS[@]}
# The depth a second: its floor (least) in the first and the last third of
# the load, its peak, and the seconds it spent above one second's items.
read -r FIRST_FLOOR LAST_FLOOR ALL_MAX BEHIND LONGEST <<<"$(printf '%s\n' "${DEPTHS[@]}" | awk -v n="$n" -v sec="$((RATE * 6))" '
	{ v[NR] = $1 } END { third = int(n / 3); if (third < 1) third = 1
	  f = l = -1
	  for (i = 1; i <= n; i++) {
	    if (i <= third && (f < 0 || v[i] < f)) f = v[i]
	    if (i > n - third && (l < 0 || v[i] < l)) l = v[i]
	    if (v[i] > m) m = v[i]
	    if (v[i] > sec) { run++; behind++; if (run > longest) longest = run } else run = 0
	  }
	  printf "%d %d %d %d %d", f, l, m, behind, longest }')"
EV_TOTAL=$EV_D
echo
echo "bench-outbox summary ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null), binary $BIN)"
echo "  load: $RATE calls/s offered for ${LOAD_SECS}s: ${OK:-0} calls ok, ${FAILED:-0} failed, ${RETX:-0} retransmissions"
awk -v e="$EV_TOTAL" -v f="$FEE_D" -v s="$LOAD_SECS" 'BEGIN{printf "  delivered: %d events (%.0f/s over the load), %d CDRs (%.0f/s)\n", e, e / s, f, f / s}'
printf '%s\n' "${EVOUTS[@]}" | sort -n | awk '{v[NR] = $1} END {if (NR) printf "  events out during the load (5-s samples): median %d/s, min %d/s, max %d/s\n", v[int((NR + 1) / 2)], v[1], v[NR]}'
echo "  outbox pending (a sample a second): floor ${FIRST_FLOOR} in the first third of the load, ${LAST_FLOOR} in the last; peak ${ALL_MAX}; above one second's items ($((RATE * 6))) for ${BEHIND}s in all, ${LONGEST}s at most in a row; ${END_DEPTH} when the load ended, drained ${DRAIN}s after it"
awk -v w0="$S_WR" -v w1="$WR" -v n0="$S_WN" -v n1="$WN" 'BEGIN{w = w1 - w0; n = n1 - n0; printf "  pushes a connection write (burst, docs/EVENTS.md \"Bursts\"): mean %.2f (%d pushes in %d writes)\n", (w > 0 ? n / w : 0), n, w}'
echo "  receiver: $STATS"
# Pushes the receiver got more than once (at least once: a push behind a
# held one or a closed connection may go twice, docs/EVENTS.md "Bursts").
awk -v s="$STATS" -v e="$EV_Q" -v f="$FEE_Q" 'BEGIN{n = split(s, w, " "); for (i = 1; i < n; i += 2) got[w[i]] = w[i + 1]
	printf "  received twice: %d events, %d CDRs (of %d and %d queued)\n", got["events"] - e, got["fees"] - f, e, f}'
# The run tests delivery at RATE only if the box carried the calls
# (≥ 99.9 % ok, as bench.sh counts them): a run whose calls failed made
# fewer events than RATE asks for, and gets no verdict. Retransmissions —
# SIP messages that waited half a second with delivery sharing the box —
# are reported beside the verdict, against bench.sh's 0.1 %.
RETX_NOTE=$(awk -v r="${RETX:-0}" -v n="$CALLS" 'BEGIN{printf "%d retransmissions (%.2f %% of the calls; bench.sh counts a step clean at ≤ 0.1 %%)", r, 100 * r / n}')
echo "  calls with delivery on: $RETX_NOTE"
if ! awk -v ok="${OK:-0}" -v f="${FAILED:-0}" -v n="$CALLS" 'BEGIN{exit !(ok >= 0.999 * n && f <= 0.001 * n)}'; then
	echo "  verdict: none — the box did not carry $RATE calls/s with delivery on (${OK:-0} of $CALLS calls ok, ${FAILED:-0} failed)"
elif [ "$DRAIN" != - ] && [ "$LAST_FLOOR" -le $((FIRST_FLOOR + RATE)) ]; then
	echo "  verdict: delivery kept up — the outbox did not grow during the load (its floor in the last third within $RATE items of the first third's)"
else
	echo "  verdict: delivery fell behind — the outbox grew (its floor rose by more than $RATE items, or it did not drain within 60s)"
fi
