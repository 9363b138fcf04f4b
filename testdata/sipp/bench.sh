#!/usr/bin/env bash
# bench.sh — the SIPp load run behind `make bench` (docs/TESTING.md, "Bench").
#
# Starts bin/xnum (the non-race build) with the demo binding, a SIPp callee
# trunk on trunk.outbound, and a SIPp caller that ramps the call rate in
# steps. Per step it prints the rate offered and completed, the success
# ratio, the retransmissions, INVITE→200 response time p50/p99, and xnum's
# CPU per call. A step is clean when ≥ 99.9 % of its calls succeed, the rate
# is reached, at most 0.1 % of its calls saw a retransmission (SIPp resends
# after T1 = 500 ms without an answer: a message waited that long in a queue,
# so the box is past what it can carry) and INVITE→200 p99 is within T1 (an
# INVITE is not resent once xnum's 100 Trying is in, so its wait in xnum's
# queues shows only there). The highest clean step is
# then held for BENCH_HOLD seconds (60, the length of the delivery bench):
# a rate a 10-s step survives on queues alone retransmits when held, so the
# bench steps down the ramp until a hold is clean. That held rate is the
# bench's "highest clean call rate" (docs/TESTING.md "Bench"); with
# BENCH_RATE_FILE set it is written there for bench-outbox.sh. The same
# scenarios are then run SIPp → SIPp with no xnum in between: that is the
# ceiling this machine gives SIPp itself, and the ratio is printed.
# Everything started here is stopped on exit. Bounded: about five minutes
# with the defaults (each step has its own deadline).
#
# Knobs (environment):
#   BENCH_BIN            binary to run                 [bin/xnum]
#   BENCH_RATES         xnum ramp, calls/s            ["200 400 600 800 1000 1200 1400 1600 1800 2000 2500"]
#   BENCH_STEP          seconds per xnum step         [10]
#   BENCH_HOLD          seconds the best step is held [60]
#   BENCH_RATE_FILE     where to write the held rate  [none]
#   BENCH_CPU_RATE      fixed rate for CPU per call   [500]
#   BENCH_DIRECT_RATES  SIPp→SIPp ramp, calls/s       ["1500 2500 3500 5000"]
#   BENCH_DIRECT_STEP   seconds per direct step       [5]
#   BENCH_NET           /24 of the loopback range     [127.0.77]
#   BENCH_KEEP=1        keep the work directory (logs, SIPp statistics)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCEN="$ROOT/testdata/sipp"
BIN=${BENCH_BIN:-$ROOT/bin/xnum}
RATES=${BENCH_RATES:-"200 400 600 800 1000 1200 1400 1600 1800 2000 2500"}
STEP=${BENCH_STEP:-10}
HOLD=${BENCH_HOLD:-60}
T1_MS=500 # RFC 3261 T1, SIPp's and xnum's default
CPU_RATE=${BENCH_CPU_RATE:-500}
DIRECT_RATES=${BENCH_DIRECT_RATES:-"1500 2500 3500 5000"}
DIRECT_STEP=${BENCH_DIRECT_STEP:-5}
NET=${BENCH_NET:-127.0.77}
XN_IP=$NET.1 CALLER_IP=$NET.2 TRUNK_IP=$NET.3
SIP_PORT=5060 API_PORT=18080 TRUNK_PORT=5070
TOKEN=bench-admin-token
BUF=8388608
CLK_TCK=$(getconf CLK_TCK)

die() { echo "bench: $*" >&2; exit 1; }
# XNUM_* variables are config overrides for xnum (SPEC §8): the bench's
# config file alone must decide, so none is passed on.
for v in $(compgen -e | grep '^XNUM_'); do unset "$v"; done
command -v sipp >/dev/null || die "sipp not found (Debian package sip-tester; make test installs it as root)"
command -v curl >/dev/null || die "curl not found"
[ -x "$BIN" ] || die "$BIN not built (make build)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/xnum-bench-XXXXXX")
PIDS=()
SYSCTL_RESTORE=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	local kv
	for kv in "${SYSCTL_RESTORE[@]}"; do sysctl -q -w "$kv" >/dev/null 2>&1; done
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "bench: work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# UDP socket buffers: raise the kernel ceiling when we may (root), so the
# 8 MiB SO_RCVBUF that xnum (sip.udp_buffer) and SIPp (-buff_size) ask for
# is granted. Restored on exit.
if [ "$(id -u)" = 0 ]; then
	for key in net.core.rmem_max net.core.wmem_max; do
		old=$(sysctl -n "$key" 2>/dev/null) || continue
		if [ "$old" -lt $((2 * BUF)) ] && sysctl -q -w "$key=$((2 * BUF))" >/dev/null 2>&1; then
			SYSCTL_RESTORE+=("$key=$old")
		fi
	done
	echo "bench: UDP buffers: rmem_max=$(sysctl -n net.core.rmem_max) wmem_max=$(sysctl -n net.core.wmem_max)"
else
	echo "bench: not root: UDP buffer ceiling left at rmem_max=$(cat /proc/sys/net/core/rmem_max)"
fi

cat >"$WORK/xnum.yaml" <<EOF
# bench config: demo app and binding, everything else at its default
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
  # A zero-hold ramp releases every call's two RTP pairs at once and each
  # rests media.quarantine (5s) before reuse: at 1000+ calls/s that needs
  # ~10,000 pairs, more than the default 20000-29999 range holds. A carrier
  # running high call rates widens the range the same way.
  rtp_ports: 10000-59999
cdr:
  file: "$WORK/cdr.jsonl"
demo:
  enabled: true
log:
  level: warn
EOF

# wait_until SECONDS CMD...: poll a condition with a deadline.
wait_until() {
	local deadline=$(($(date +%s) + $1)); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
healthy() { curl -fsS -o /dev/null "http://$XN_IP:$API_PORT/healthz" 2>/dev/null; }
udp_bound() { # ip port
	local hex
	hex=$(printf '%02X%02X%02X%02X:%04X' $(echo "$1" | awk -F. '{print $4, $3, $2, $1}') "$2")
	grep -q " $hex " /proc/net/udp
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# machine_ticks: "busy total" jiffies of all CPUs from /proc/stat.
machine_ticks() { awk '/^cpu /{t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }

# start_xnum: a fresh xnum on an empty store (the previous one, if any, is
# stopped with SIGTERM first).
start_xnum() {
	if [ -n "${XPID:-}" ]; then
		kill -TERM "$XPID" 2>/dev/null
		wait "$XPID" 2>/dev/null
		rm -rf "$WORK/store" "$WORK/cdr.jsonl"*
	fi
	"$BIN" serve --config "$WORK/xnum.yaml" >>"$WORK/xnum.log" 2>&1 &
	XPID=$!
	PIDS+=("$XPID")
	wait_until 30 healthy || { tail -20 "$WORK/xnum.log"; die "xnum not healthy within 30s"; }
}
# quiet: flush dirty pages and wait (≤ 30 s) until the machine is idle, so
# that a step does not pay for the writeback or compactions of the last.
quiet() {
	sync
	local b0 t0 b1 t1
	for _ in $(seq 30); do
		read -r b0 t0 <<<"$(machine_ticks)"; sleep 1; read -r b1 t1 <<<"$(machine_ticks)"
		awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN{exit !(t > 0 && 100 * n * b / t < 10)}' && return
	done
}

echo "bench: starting xnum ($BIN) on $XN_IP:$SIP_PORT, trunk $TRUNK_IP:$TRUNK_PORT"
start_xnum

sipp -sf "$SCEN/bench_uas.xml" -i "$TRUNK_IP" -p "$TRUNK_PORT" -bind_local -ci "$TRUNK_IP" \
	-mi "$NET.13" -nostdin -buff_size "$BUF" -max_recv_loops 10000 -max_sched_loops 10000 \
	-trace_err -error_file "$WORK/uas_errors.log" >"$WORK/uas_screen.log" 2>&1 &
UPID=$!
PIDS+=("$UPID")
wait_until 10 udp_bound "$TRUNK_IP" "$TRUNK_PORT" || die "callee SIPp did not bind $TRUNK_IP:$TRUNK_PORT"

# run_step LABEL TARGET RATE SECONDS: one SIPp caller run; sets the globals
# OFFERED COMPLETED OK_PCT P50 P99 CPU_MS CPU_PCT CLEAN and prints a line.
run_step() {
	local label=$1 target=$2 rate=$3 secs=$4
	local calls=$((rate * secs)) dir="$WORK/$label-$rate"
	mkdir -p "$dir"
	local t0 t1 c0 c1 u0 u1 m0 m1
	c0=$(cpu_ticks "$XPID")
	u0=$(cpu_ticks "$UPID")
	m0=$(machine_ticks)
	t0=$(date +%s.%N)
	(cd "$dir" && sipp "$target" -sf "$SCEN/bench_uac.xml" -inf "$SCEN/bench_calls.csv" \
		-i "$CALLER_IP" -bind_local -ci "$CALLER_IP" -mi "$NET.12" -nostdin \
		-r "$rate" -m "$calls" -l 100000 -recv_timeout 5000 -timeout "$((secs + 30))s" \
		-buff_size "$BUF" -max_recv_loops 10000 -max_sched_loops 10000 \
		-trace_stat -stf stat.csv -fd 1 -trace_shortmsg -shortmessage_file short.log \
		-trace_err -error_file errors.log >screen.log 2>&1)
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$XPID")
	u1=$(cpu_ticks "$UPID")
	m1=$(machine_ticks)
	MACHINE_PCT=$(echo "$m0 $m1" | awk -v n="$(nproc)" '{b = $3 - $1; t = $4 - $2; printf "%.0f", (t > 0 ? 100 * n * b / t : 0)}')
	UAS_PCT=$(awk -v d="$((u1 - u0))" -v hz="$CLK_TCK" -v w="$(echo "$t0 $t1" | awk '{print $2 - $1}')" 'BEGIN{printf "%.0f", (w > 0 ? 100 * d / hz / w : 0)}')
	local stats
	stats=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) col[$i]=i; next} {last=$0}
		END{split(last,v,";"); printf "%d %d %d %.1f %d", v[col["TotalCallCreated"]], v[col["SuccessfulCall(C)"]],
		v[col["FailedCall(C)"]], v[col["CallRate(C)"]], v[col["Retransmissions(C)"]]}' "$dir/stat.csv" 2>/dev/null)
	local created ok failed rretx
	read -r created ok failed OFFERED rretx <<<"${stats:-0 0 0 0 0}"
	local wall
	wall=$(echo "$t0 $t1" | awk '{print $2 - $1}')
	COMPLETED=$(awk -v ok="$ok" -v w="$wall" 'BEGIN{printf "%.0f", (w > 0 ? ok / w : 0)}')
	OK_PCT=$(awk -v ok="$ok" -v n="$calls" 'BEGIN{printf "%.2f", (n > 0 ? 100 * ok / n : 0)}')
	# INVITE→200 per call from SIPp's short message trace (µs timestamps):
	# first INVITE sent to first 200 for it received; retransmissions ignored.
	read -r P50 P99 <<<"$(awk -F'\t' '
		$4 == "S" && $6 == "CSeq:1 INVITE" && !($5 in s) { s[$5] = $3 }
		$4 == "R" && $6 == "CSeq:1 INVITE" && $7 ~ /^SIP\/2.0 200/ && !($5 in e) { e[$5] = $3 }
		END { for (c in e) if (c in s) printf "%.2f\n", (e[c] - s[c]) * 1000 }' "$dir/short.log" 2>/dev/null | sort -n |
		awk '{v[NR] = $1} END{if (NR == 0) {print "- -"; exit}
			print v[int(NR * 0.50 + 0.999)], v[int(NR * 0.99 + 0.999)]}')"
	rm -f "$dir/short.log"
	if [ "$label" = xnum ]; then
		CPU_MS=$(awk -v d="$((c1 - c0))" -v hz="$CLK_TCK" -v ok="$ok" 'BEGIN{printf "%.3f", (ok > 0 ? d * 1000 / hz / ok : 0)}')
		CPU_PCT=$(awk -v d="$((c1 - c0))" -v hz="$CLK_TCK" -v w="$wall" 'BEGIN{printf "%.0f", (w > 0 ? 100 * d / hz / w : 0)}')
	else
		CPU_MS=- CPU_PCT=-
	fi
	CLEAN=0
	if awk -v ok="$ok" -v n="$calls" -v off="$OFFERED" -v r="$rate" -v rx="$rretx" -v p99="$P99" -v t1="$T1_MS" \
		'BEGIN{exit !(n > 0 && ok * 1000 >= n * 999 && off >= 0.95 * r && rx * 1000 <= n && p99 != "-" && p99 + 0 <= t1)}'; then
		CLEAN=1
	fi
	printf '  %-6s %5d cps | offered %7.1f/s  completed %5s/s | ok %6s%% (%d failed, %d retrans) | INVITE→200 p50 %6s ms p99 %7s ms | xnum CPU %s ms/call (%s%% of a core) | callee SIPp %s%%, machine %s%% of %d00%%%s\n' \
		"$label" "$rate" "$OFFERED" "$COMPLETED" "$OK_PCT" "$failed" "$rretx" "$P50" "$P99" "$CPU_MS" "$CPU_PCT" "$UAS_PCT" "$MACHINE_PCT" "$(nproc)" \
		"$([ "$CLEAN" = 1 ] && echo '' || echo "  ← not clean: below 99.9% ok, over 0.1% retransmitted, p99 over T1 (${T1_MS} ms), or rate not reached")"
}

# Other work on the box skews every figure: say how busy it was before we began.
read -r b0 t0 <<<"$(machine_ticks)"; sleep 1; read -r b1 t1 <<<"$(machine_ticks)"
IDLE_BUSY=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN{printf "%.0f", (t > 0 ? 100 * n * b / t : 0)}')
echo "bench: machine busy ${IDLE_BUSY}% of $(nproc)00% before the load (load average $(cut -d' ' -f1-3 /proc/loadavg))"

n_rates=$(wc -w <<<"$RATES")
echo "bench: warm-up and CPU per call at a fixed $CPU_RATE calls/s for ${STEP}s"
run_step xnum "$XN_IP:$SIP_PORT" "$CPU_RATE" "$STEP"
FIXED_CPU=$CPU_MS FIXED_PCT=$CPU_PCT

echo "bench: ramp through xnum: $n_rates steps of ${STEP}s ($RATES calls/s)"
BEST=0 BEST_P50=- BEST_P99=- bad=0 i=0
for rate in $RATES; do
	i=$((i + 1))
	echo "  step $i/$n_rates: $rate calls/s for ${STEP}s …"
	run_step xnum "$XN_IP:$SIP_PORT" "$rate" "$STEP"
	if [ "$CLEAN" = 1 ]; then
		BEST=$rate BEST_P50=$P50 BEST_P99=$P99 bad=0
	else
		bad=$((bad + 1))
		[ "$bad" -ge 2 ] && { echo "  two steps in a row not clean: ramp stopped"; break; }
	fi
	kill -0 "$XPID" 2>/dev/null || { tail -20 "$WORK/xnum.log"; die "xnum died during the ramp"; }
done

# Hold: the best ramp step for HOLD seconds, stepping down the ramp's rates
# until a hold is clean.
HELD=0 HELD_P50=- HELD_P99=- HELD_PCT=-
if [ "$BEST" -gt 0 ] && [ "$HOLD" -gt 0 ]; then
	for rate in $(tr ' ' '\n' <<<"$RATES" | awk -v b="$BEST" '$1 > 0 && $1 <= b' | sort -rn); do
		echo "bench: hold $rate calls/s for ${HOLD}s (a fresh xnum on an empty store, on a quiet machine) …"
		start_xnum # the holds before it left an overloaded xnum behind (backlogs, compactions)
		quiet
		run_step xnum "$XN_IP:$SIP_PORT" "$rate" "$HOLD"
		if [ "$CLEAN" = 1 ]; then HELD=$rate HELD_P50=$P50 HELD_P99=$P99 HELD_PCT=$CPU_PCT; break; fi
		kill -0 "$XPID" 2>/dev/null || { tail -20 "$WORK/xnum.log"; die "xnum died during the hold"; }
	done
fi
if [ -n "${BENCH_RATE_FILE:-}" ]; then echo "$HELD" >"$BENCH_RATE_FILE"; fi

echo "bench: ceiling: SIPp → SIPp directly, no xnum ($DIRECT_RATES calls/s, ${DIRECT_STEP}s each)"
CEIL=0 bad=0
for rate in $DIRECT_RATES; do
	run_step direct "$TRUNK_IP:$TRUNK_PORT" "$rate" "$DIRECT_STEP"
	if [ "$CLEAN" = 1 ]; then CEIL=$rate bad=0; else bad=$((bad + 1)); [ "$bad" -ge 2 ] && break; fi
done

echo
echo "bench summary ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null))"
echo "  highest clean ramp step through xnum (${STEP}s): $BEST calls/s (INVITE→200 p50 $BEST_P50 ms, p99 $BEST_P99 ms)"
echo "  highest clean call rate (held ${HOLD}s; ≥ 99.9% ok, ≤ 0.1% retransmitted, p99 ≤ ${T1_MS} ms): $HELD calls/s (INVITE→200 p50 $HELD_P50 ms, p99 $HELD_P99 ms, xnum $HELD_PCT% of a core)"
echo "  xnum CPU at $CPU_RATE calls/s: $FIXED_CPU ms per call ($FIXED_PCT% of one core)"
echo "  ceiling SIPp → SIPp: $CEIL calls/s clean"
if [ "$CEIL" -gt 0 ]; then
	awk -v b="$HELD" -v c="$CEIL" 'BEGIN{printf "  ratio xnum (held) / direct: %.2f\n", b / c}'
fi
echo "  machine busy ${IDLE_BUSY}% of $(nproc)00% before the load: figures are only comparable on an otherwise idle machine"
