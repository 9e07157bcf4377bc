#!/bin/sh
# run-milter-bench.sh: mtaguard-milter side by side with OpenDMARC and a
# do-nothing libmilter filter, same messages, same DNS answers, at 1, 8 and
# 32 concurrent milter sessions. Needs root (it runs itself in private
# network and mount namespaces so that OpenDMARC's resolver, which only
# reads /etc/resolv.conf, asks ldns-testns on 127.0.0.1:53).
#
#   bench/run-milter-bench.sh BUILD_DIR [MESSAGES [DOMAINS]]
#
# For each filter and concurrency: messages/s and p50/p99 latency as the load
# generator sees them, the filter's CPU time per message (utime+stime of its
# processes, from /proc) and its peak RSS (VmHWM). Caches are warmed with one
# pass over every domain first. Prints a table and the ratios against the
# do-nothing filter and OpenDMARC.
set -eu
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [MESSAGES [DOMAINS]]}" && pwd)
MESSAGES=${2:-4000}
DOMAINS=${3:-200}
if [ -z "${MTAGUARD_BENCH_NS:-}" ]; then
    exec unshare --net --mount env MTAGUARD_BENCH_NS=1 "$0" "$BUILD" "$MESSAGES" "$DOMAINS"
fi
ip link set lo up
W=$(mktemp -d /tmp/milter-bench-XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$W"; }
trap cleanup EXIT INT TERM

echo "nameserver 127.0.0.1" > "$W/resolv.conf"
mount --bind "$W/resolv.conf" /etc/resolv.conf

# DNS: p=reject for every benchmark domain; anything else NXDOMAIN.
i=0
: > "$W/zone"
while [ "$i" -lt "$DOMAINS" ]; do
    cat >> "$W/zone" <<EOT
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR RD RA NOERROR
SECTION QUESTION
_dmarc.d$i.bench.example. IN TXT
SECTION ANSWER
_dmarc.d$i.bench.example. 3600 IN TXT "v=DMARC1; p=reject"
ENTRY_END
EOT
    i=$((i + 1))
done
cat >> "$W/zone" <<EOT
ENTRY_BEGIN
MATCH opcode
ADJUST copy_id copy_query
REPLY QR RD RA NXDOMAIN
SECTION QUESTION
SECTION ANSWER
ENTRY_END
EOT
ldns-testns -p 53 "$W/zone" > "$W/dns.log" 2>&1 &
PIDS="$PIDS $!"

cat > "$W/mtaguard.conf" <<EOT
user = root
milter_socket = unix:$W/mtaguard.sock
milter_pid_file = $W/mtaguard.pid
authserv_id = mx.bench.example
trusted_authserv_ids = upstream.bench.example
dns_nameservers = 127.0.0.1
log_level = notice
EOT
"$BUILD/milter/mtaguard-milter" -f -c "$W/mtaguard.conf" > "$W/mtaguard.log" 2>&1 &
PIDS="$PIDS $!"

cat > "$W/opendmarc.conf" <<EOT
AuthservID mx.bench.example
TrustedAuthservIDs upstream.bench.example
Socket local:$W/opendmarc.sock
PidFile $W/opendmarc.pid
Background false
Syslog false
SPFSelfValidate false
RejectFailures false
FailureReports false
UMask 000
EOT
opendmarc -c "$W/opendmarc.conf" -f > "$W/opendmarc.log" 2>&1 &
PIDS="$PIDS $!"
OPENDMARC_PID=$!

"$BUILD/bench/nothing-milter" "unix:$W/nothing.sock" > "$W/nothing.log" 2>&1 &
PIDS="$PIDS $!"
NOTHING_PID=$!
sleep 1
MTAGUARD_PID=$(cat "$W/mtaguard.pid")

# CPU ticks (utime+stime) of a process and its children.
ticks() {
    t=0
    for p in "$@" $(for q in "$@"; do cat /proc/"$q"/task/*/children 2>/dev/null; done); do
        [ -r /proc/"$p"/stat ] || continue
        t=$((t + $(awk '{ print $14 + $15 }' /proc/"$p"/stat)))
    done
    echo "$t"
}
hwm() {
    m=0
    for p in "$@" $(for q in "$@"; do cat /proc/"$q"/task/*/children 2>/dev/null; done); do
        v=$(awk '/VmHWM/ { print $2 }' /proc/"$p"/status 2>/dev/null || echo 0)
        [ "${v:-0}" -gt "$m" ] && m=$v
    done
    echo "$m"
}
HZ=$(getconf CLK_TCK)

run() {  # name pid socket expect connections
    before=$(ticks "$2")
    line=$("$BUILD/bench/milter-load" --socket "unix:$3" --connections "$5" --messages "$MESSAGES" \
        --domains "$DOMAINS" --trusted-id upstream.bench.example ${4:+--expect "$4"}) || true
    after=$(ticks "$2")
    cpu_us=$(awk -v a="$after" -v b="$before" -v hz="$HZ" -v n="$MESSAGES" 'BEGIN { printf "%.1f", (a - b) * 1e6 / hz / n }')
    echo "filter=$1 $line cpu_us_per_msg=$cpu_us rss_kb=$(hwm "$2")" | tee -a "$W/results"
}

for f in "mtaguard $MTAGUARD_PID $W/mtaguard.sock dmarc=pass" "opendmarc $OPENDMARC_PID $W/opendmarc.sock dmarc=pass" \
         "nothing $NOTHING_PID $W/nothing.sock"; do
    set -- $f
    "$BUILD/bench/milter-load" --socket "unix:$3" --connections 8 --messages "$DOMAINS" --domains "$DOMAINS" \
        --trusted-id upstream.bench.example > /dev/null || true  # warm-up
done
for c in 1 8 32; do
    run mtaguard "$MTAGUARD_PID" "$W/mtaguard.sock" dmarc=pass "$c"
    run opendmarc "$OPENDMARC_PID" "$W/opendmarc.sock" dmarc=pass "$c"
    run nothing "$NOTHING_PID" "$W/nothing.sock" "" "$c"
done

echo
awk '
function field(line, key,    n, i, kv) { n = split(line, kv, " "); for (i = 1; i <= n; i++) if (index(kv[i], key "=") == 1) return substr(kv[i], length(key) + 2); return "" }
{ f = field($0, "filter"); c = field($0, "connections"); rate[f, c] = field($0, "rate"); cpu[f, c] = field($0, "cpu_us_per_msg"); rss[f] = field($0, "rss_kb"); p99[f, c] = field($0, "p99_ms"); cs[c] = 1 }
END {
  printf "%-6s %-10s %10s %9s %12s %10s\n", "conns", "filter", "msgs/s", "p99 ms", "cpu us/msg", "peak RSS kB"
  for (c = 1; c <= 32; c++) if (c in cs) for (k = 1; k <= 3; k++) { f = (k == 1 ? "mtaguard" : k == 2 ? "opendmarc" : "nothing")
    printf "%-6s %-10s %10s %9s %12s %10s\n", c, f, rate[f, c], p99[f, c], cpu[f, c], rss[f] }
  print ""
  for (c = 1; c <= 32; c++) if (c in cs)
    printf "conns=%d  mtaguard/nothing rate %.2fx  mtaguard/opendmarc rate %.2fx  mtaguard/opendmarc cpu %.2fx  opendmarc/nothing rate %.2fx\n", c,
      rate["mtaguard", c] / rate["nothing", c], rate["mtaguard", c] / rate["opendmarc", c],
      (cpu["opendmarc", c] > 0 ? cpu["mtaguard", c] / cpu["opendmarc", c] : 0), rate["opendmarc", c] / rate["nothing", c]
  printf "peak RSS mtaguard/opendmarc %.2fx\n", rss["mtaguard"] / rss["opendmarc"]
}' "$W/results"
