#!/usr/bin/env bash
# run-milter-bench.sh: mtaguard-milter vs OpenDMARC vs a do-nothing libmilter
# filter, in one run, with the same inputs (trusted Authentication-Results for
# DOMAINS domains, each with a p=reject DMARC record) and the same DNS answers
# (ldns-testns on 127.0.0.1:53 inside a private network namespace, so
# OpenDMARC's resolver, which reads /etc/resolv.conf, sees it too).
#
#   bench/run-milter-bench.sh [BUILD_DIR]      (as root; after ./build.sh build)
#
# Unix sockets throughout, as on most Postfix hosts (and free of the Nagle /
# delayed-ACK stalls that TCP adds to multi-packet milter replies).
# Prints messages/s, p50 and p99 latency at 1, 8 and 32 connections, the
# ratios mtaguard/OpenDMARC and mtaguard/null, each filter's CPU time per
# message (utime+stime of its processes from /proc, and the two apart: the
# steadier figure on a shared machine, where the load generator competes for
# the CPU) and peak RSS. PERF_STAT=1 adds, per message, the context
# switches, CPU migrations and page faults of each filter's processes
# (perf stat, Debian linux-perf). Record results in bench/README.md.
set -euo pipefail
BUILD=$(cd "${1:-$(dirname "$0")/../build}" && pwd)
MESSAGES=${MESSAGES:-2000}
DOMAINS=${DOMAINS:-200}

if [ -z "${MTAGUARD_BENCH_NS:-}" ]; then
    export MTAGUARD_BENCH_NS=1
    exec unshare --net --mount "$0" "$BUILD"
fi

ip link set lo up
work=$(mktemp -d /tmp/mtaguard-bench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
echo "nameserver 127.0.0.1" > "$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf

{
    echo '$TTL 3600'
    for i in $(seq 0 $((DOMAINS - 1))); do
        d="d$i.bench.example."
        printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR RD RA NOERROR\nSECTION QUESTION\n_dmarc.%s IN TXT\nSECTION ANSWER\n_dmarc.%s 3600 IN TXT "v=DMARC1; p=reject"\nENTRY_END\n' "$d" "$d"
    done
    # Everything else: NXDOMAIN.
    printf 'ENTRY_BEGIN\nMATCH opcode\nADJUST copy_id copy_query\nREPLY QR RD RA NXDOMAIN\nENTRY_END\n'
} > "$work/dns.data"
ldns-testns -p 53 "$work/dns.data" > "$work/dns.log" 2>&1 &
sleep 0.5

cat > "$work/mtaguard.conf" <<CONF
milter_socket = unix:$work/mtaguard.sock
milter_pid_file =
authserv_id = mx.bench.example
trusted_authserv_ids = bench.example
dns_nameservers = 127.0.0.1
cache_dir = $work/db
user = root
log_level = warning
CONF
mkdir -p "$work/db"
cat > "$work/opendmarc.conf" <<CONF
AuthservID mx.bench.example
TrustedAuthservIDs bench.example
Socket local:$work/opendmarc.sock
Background false
Syslog false
IgnoreAuthenticatedClients true
RejectFailures false
SPFSelfValidate false
UserID root
PidFile $work/opendmarc.pid
CONF

"$BUILD/milter/mtaguard-milter" -f -c "$work/mtaguard.conf" > "$work/mtaguard.log" 2>&1 &
opendmarc -f -c "$work/opendmarc.conf" > "$work/opendmarc.log" 2>&1 &
"$BUILD/bench/null-milter" "unix:$work/null.sock" > "$work/null.log" 2>&1 &
sleep 1

declare -A rate p99 cpu
# CPU ticks (utime+stime) of every process of a filter: mtaguard-milter is a
# supervisor and its libmilter worker.
pids_of() { pgrep -x "$1" | tr '\n' ' '; }
ticks() {  # "USER SYSTEM" clock ticks
    local u=0 k=0 p
    for p in $(pids_of "$1"); do
        read -r pu pk < <(awk '{ print $14, $15 }' /proc/"$p"/stat)
        u=$((u + pu)); k=$((k + pk))
    done
    echo "$u $k"
}
HZ=$(getconf CLK_TCK)
declare -A proc=([mtaguard]=mtaguard-milter [opendmarc]=opendmarc [null]=null-milter)
us_per_msg() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }'; }
# PERF_STAT=1: software counters of the filter's processes over the run
# (perf stat -p), per message: context switches, CPU migrations, page faults.
perf_start() {
    [ "${PERF_STAT:-0}" = 1 ] || return 0
    perf stat -x, -e context-switches,cpu-migrations,page-faults -o "$work/perf.txt" \
        -p "$(pids_of "$1" | tr ' ' ',' | sed 's/,$//')" &
    perf_pid=$!
    sleep 0.3
}
perf_stop() {  # perf_stop MESSAGES: prints " cs=.. migrations=.. faults=.." per message
    [ "${PERF_STAT:-0}" = 1 ] || return 0
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    awk -F, -v n="$1" '/^[0-9]/ { v[$3] = $1 } END {
        printf " cs=%.2f migrations=%.3f faults=%.3f", v["context-switches"] / n, v["cpu-migrations"] / n, v["page-faults"] / n }' \
        "$work/perf.txt"
}
run() {  # run NAME SOCKET CONNECTIONS EXPECT
    local out bu bk au ak n counters
    perf_start "${proc[$1]}"
    read -r bu bk < <(ticks "${proc[$1]}")
    out=$("$BUILD/bench/milter-load" --socket "unix:$work/$2.sock" --connections "$3" \
        --messages $((MESSAGES / $3 + 1)) --domains "$DOMAINS" --authserv-id bench.example --expect "$4") || true
    read -r au ak < <(ticks "${proc[$1]}")
    n=$(( (MESSAGES / $3 + 1) * $3 ))
    counters=$(perf_stop "$n")
    cpu[$1/$3]=$(us_per_msg $((au - bu + ak - bk)) "$n")
    local user sys
    user=$(us_per_msg $((au - bu)) "$n")
    sys=$(us_per_msg $((ak - bk)) "$n")
    echo "$1 $out cpu_us_per_msg=${cpu[$1/$3]} user_us=$user sys_us=$sys$counters"
    rate[$1/$3]=$(sed -E 's/.*msgs_per_s=([0-9]+).*/\1/' <<<"$out")
    p99[$1/$3]=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out")
}
for c in 1 8 32; do
    run mtaguard mtaguard "$c" 'dmarc=pass'
    run opendmarc opendmarc "$c" 'dmarc=pass'
    run null null "$c" ''
done
echo
printf '%-6s %12s %12s %12s %10s %10s %14s %14s\n' conns mtaguard/s opendmarc/s null/s mtg/odm mtg/null \
    'cpu us mtg/odm' 'cpu us null'
for c in 1 8 32; do
    printf '%-6s %12s %12s %12s %10s %10s %14s %14s\n' "$c" "${rate[mtaguard/$c]}" "${rate[opendmarc/$c]}" \
        "${rate[null/$c]}" \
        "$(awk "BEGIN{printf \"%.2f\", ${rate[mtaguard/$c]}/${rate[opendmarc/$c]}}")" \
        "$(awk "BEGIN{printf \"%.2f\", ${rate[mtaguard/$c]}/${rate[null/$c]}}")" \
        "${cpu[mtaguard/$c]}/${cpu[opendmarc/$c]}" "${cpu[null/$c]}"
done
# Peak RSS (VmHWM) of the largest process of each filter, and of each
# process; then, at the end, the memory each process has to itself
# (Private_Clean + Private_Dirty: what it costs beyond the shared library
# pages, which make most of RSS and vary with the page cache).
for name in mtaguard-milter opendmarc null-milter; do
    peak=0 each="" private=""
    for pid in $(pids_of "$name"); do
        v=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
        each="$each $v"
        [ "$v" -gt "$peak" ] && peak=$v
        private="$private $(awk '/^Private_(Clean|Dirty):/ { t += $2 } END { print t }' /proc/"$pid"/smaps_rollup)"
    done
    echo "peak RSS $name: $peak KiB (per process:$each; private now:$private KiB)"
done
