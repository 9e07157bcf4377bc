#!/bin/sh
# policyd-bench.sh: mtaguard-policyd side by side with postfix-mta-sts-resolver
# (Debian's mta-sts-daemon) and a minimal echo socketmap server, warm caches,
# at 1, 16 and 64 connections: queries/s, p50/p99 latency, each server's CPU
# time per query, peak RSS, and the ratios.
#
#   [REPS=3] bench/policyd-bench.sh BUILDDIR [REQUESTS_PER_CONNECTION]     (as root)
#
# Runs in a private network and mount namespace: ldns-testns answers on
# 127.0.0.1:53 for everybody (mta-sts-daemon reads /etc/resolv.conf, which
# is bind-mounted over), openssl s_server serves the enforce policy on
# 127.0.0.1:443 with a CA made here (trusted by mtaguard-policyd through
# sts_ca_file and by mta-sts-daemon through SSL_CERT_FILE). Keys: one domain
# with an enforce policy in ten, the rest 1,000 domains without a policy
# (NXDOMAIN); every key is asked once before measuring (warm caches). All
# servers listen on unix sockets. The load generator shares the cores with
# the server: compare the CPU time per query, not only the rates.
#
# mtaguard-policyd starts on a cache that bench/sts-cache-fill filled with
# 100,000 enforce policies (two mx patterns each, through the cache API).
# Right after its rate runs, every one of those 100,000 keys is asked once
# (replies checked) and its RSS is printed: peak (VmHWM), and the private
# and shared parts (smaps_rollup; shared: library pages and the Berkeley DB
# regions).
# The filled rows were last checked when written, so no TXT revalidation
# (which ldns-testns would not answer) is due while the whole policyd part
# runs within five minutes (kRevalidateInterval) of the fill: with the
# default REQUESTS and REPS it takes about three.
set -eu
if [ -z "${POLICYD_BENCH_NS:-}" ]; then
    POLICYD_BENCH_NS=1 exec unshare --net --mount "$0" "$@"
fi
BUILD=$(cd "${1:?usage: policyd-bench.sh BUILDDIR [REQUESTS]}" && pwd)
REQUESTS=${2:-20000}
WORK=$(mktemp -d /tmp/policyd-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
cd "$WORK"
mount --make-rprivate /
ip link set lo up
echo "nameserver 127.0.0.1" > resolv.conf
mount --bind resolv.conf /etc/resolv.conf

# --- test CA and the policy host certificate ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mta-sts.enforce.bench \
    -keyout host.key -out host.csr 2>/dev/null
printf 'subjectAltName=DNS:mta-sts.enforce.bench\n' > san.ext
openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext \
    -out host.pem 2>/dev/null
mkdir -p www/.well-known
printf 'version: STSv1\nmode: enforce\nmx: mx1.enforce.bench\nmx: *.mx.enforce.bench\nmax_age: 86400\n' \
    > www/.well-known/mta-sts.txt
(cd www && exec openssl s_server -quiet -WWW -accept 127.0.0.1:443 -cert ../host.pem -key ../host.key) \
    >/dev/null 2>&1 &
PIDS="$PIDS $!"

# --- DNS: explicit answers (with the question) for every name asked ---
entry() {  # qname qtype rcode [answer]
    printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR RD RA %s\nSECTION QUESTION\n%s IN %s\nSECTION ANSWER\n%sENTRY_END\n' \
        "$3" "$1" "$2" "${4:-}"
}
{
    entry _mta-sts.enforce.bench. TXT NOERROR '_mta-sts.enforce.bench. 300 IN TXT "v=STSv1; id=1"
'
    entry mta-sts.enforce.bench. A NOERROR 'mta-sts.enforce.bench. 300 IN A 127.0.0.1
'
    entry mta-sts.enforce.bench. AAAA NOERROR
    i=0
    while [ $i -lt 1000 ]; do entry "_mta-sts.d$i.nopolicy.bench." TXT NXDOMAIN; i=$((i + 1)); done
} > zone.data
ldns-testns -p 53 zone.data >/dev/null 2>&1 &
PIDS="$PIDS $!"

# --- keys: one enforce domain in ten ---
SECURE="OK secure match=mx1.enforce.bench:.mx.enforce.bench servername=hostname"
i=0
while [ $i -lt 1000 ]; do
    if [ $((i % 10)) -eq 0 ]; then printf 'enforce.bench\t%s\n' "$SECURE"; fi
    printf 'd%d.nopolicy.bench\tNOTFOUND \n' "$i"
    i=$((i + 1))
done > keys.txt
sed "s/^\(enforce.bench\)\t.*/\1/" keys.txt > keys-unordered.txt  # mta-sts-daemon orders mx at random
sed "s/\t.*//" keys.txt > keys-bare.txt                            # the echo server looks nothing up
FILLED=100000
awk -v n=$FILLED 'BEGIN { for (i = 0; i < n; i++) { d = "p" i ".fill.bench"
    printf "%s\tOK secure match=mx1.%s:.mx.%s servername=hostname\n", d, d, d } }' > keys-filled.txt

cat > mtaguard.conf <<CONF
policyd_socket = unix:$WORK/policyd.sock
policyd_pid_file =
cache_dir = $WORK/cache
user = $(id -un)
dns_nameservers = 127.0.0.1:53
sts_ca_file = $WORK/ca.pem
sts_fetch_helper = $BUILD/policyd/mtaguard-sts-fetch
log_level = notice
CONF
cat > resolver.yml <<CONF
path: $WORK/resolver.sock
mode: 0666
cache_grace: 86400
cache:
  type: internal
  options:
    cache_size: 10000
CONF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# The process's resident pages: private and shared, and by kind of mapping:
# heap, anonymous (thread stacks, malloc arenas), shared libraries, Berkeley
# DB region files, the rest (the program itself).
rss_parts() {
    awk '/^(Private_Clean|Private_Dirty):/ {p += $2} /^(Shared_Clean|Shared_Dirty):/ {s += $2}
         END {printf "private_kb=%d shared_kb=%d", p, s}' "/proc/$1/smaps_rollup"
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6; kind = "other"
             if (name == "[heap]") kind = "heap"
             else if (name == "" || name ~ /^\[(stack|anon)/) kind = "anon"
             else if (name ~ /\.so/) kind = "libs"
             else if (name ~ /__db\./) kind = "db" }
         /^Rss:/ { kb[kind] += $2 }
         END { printf " heap_kb=%d anon_kb=%d libs_kb=%d db_kb=%d other_kb=%d",
                   kb["heap"], kb["anon"], kb["libs"], kb["db"], kb["other"] }' "/proc/$1/smaps"
}
wait_socket() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; return 1; }

# warm SOCKET KEYS: every key asked once (fills the servers' caches)
warm() {
    "$BUILD/bench/socketmap-load" -s "unix:$1" -m mta-sts -k "$2" -c 1 -n 1100 -w 0 >/dev/null
}
# measure NAME PID SOCKET KEYS CONNECTIONS REP: one line
measure() {
    name=$1 pid=$2 sock=$3 keys=$4 c=$5 rep=$6
    before=$(cpu_ticks "$pid")
    line=$("$BUILD/bench/socketmap-load" -s "unix:$sock" -m mta-sts -k "$keys" -c "$c" -n "$REQUESTS" -w 100) || true
    after=$(cpu_ticks "$pid")
    requests=$(echo "$line" | sed 's/.* requests=\([0-9]*\).*/\1/')
    cpu_us=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    echo "$name $line cpu_us_per_query=$cpu_us peak_rss_kb=$(peak_rss_kb "$pid") rep=$rep"
}

# helpers PID: mtaguard-policyd's fetch helper processes (policyd/helper_fetcher.h;
# those started by the warm-up's fetches live until 60 idle seconds have
# passed, so this runs right after the warm-up) and the largest peak RSS
# among them. Their CPU time is not in the
# daemon's cpu_us_per_query; the warm runs fetch nothing.
helpers() {
    n=0 max=0
    for p in $(pgrep -P "$1" || true); do
        n=$((n + 1)); kb=$(peak_rss_kb "$p"); [ "$kb" -gt "$max" ] && max=$kb
    done
    echo "mtaguard-sts-fetch helpers=$n peak_rss_kb=$max"
}

# measure_filled PID SOCKET: every filled key once, then the memory figures
measure_filled() {
    line=$("$BUILD/bench/socketmap-load" -s "unix:$2" -m mta-sts -k keys-filled.txt -c 1 -n $FILLED -w 0) || true
    echo "mtaguard-policyd-filled $line cached=$((FILLED + 1001)) peak_rss_kb=$(peak_rss_kb "$1") $(rss_parts "$1")"
}

"$BUILD/bench/sts-cache-fill" "$WORK/cache" $FILLED

"$BUILD/policyd/mtaguard-policyd" -f -c mtaguard.conf 2>policyd.log &
POLICYD=$!
PIDS="$PIDS $POLICYD"
SSL_CERT_FILE=$WORK/ca.pem mta-sts-daemon -c resolver.yml -v warn 2>resolver.log &
RESOLVER=$!
PIDS="$PIDS $RESOLVER"
"$BUILD/bench/echo-socketmap" -s "unix:$WORK/echo.sock" &
ECHO=$!
PIDS="$PIDS $ECHO"
wait_socket "$WORK/policyd.sock"
wait_socket "$WORK/resolver.sock"
wait_socket "$WORK/echo.sock"

# mtaguard-policyd and the echo server take turns, REPS times at each
# connection count, so that a change in the machine's state (this machine's
# rates move by 2x between runs) hits both alike; the summary gives medians
# and each turn's policyd/echo ratio. The resolver, 10-20x slower, runs once.
REPS=${REPS:-3}
{
    warm "$WORK/policyd.sock" keys.txt
    helpers "$POLICYD"
    warm "$WORK/echo.sock" keys-bare.txt
    for c in 1 16 64; do
        for rep in $(seq "$REPS"); do
            measure mtaguard-policyd "$POLICYD" "$WORK/policyd.sock" keys.txt "$c" "$rep"
            measure echo-socketmap "$ECHO" "$WORK/echo.sock" keys-bare.txt "$c" "$rep"
        done
    done
    measure_filled "$POLICYD" "$WORK/policyd.sock"
    warm "$WORK/resolver.sock" keys-unordered.txt
    for c in 1 16 64; do
        measure postfix-mta-sts-resolver "$RESOLVER" "$WORK/resolver.sock" keys-unordered.txt "$c" 1
    done
} | tee results.txt
echo
awk '
    function median(list,    n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $1 == "mtaguard-policyd-filled" || $1 == "mtaguard-sts-fetch" { print; next }
    {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        k = $1 SUBSEP $2; c[$2] = 1
        qps[k] = qps[k] " " f["qps"]; p99[k] = p99[k] " " f["p99_us"]; cpu[k] = cpu[k] " " f["cpu_us_per_query"]
        if ($1 == "mtaguard-policyd") pq[$2, f["rep"]] = f["qps"]
        if ($1 == "echo-socketmap") turns[$2] = turns[$2] " " sprintf("%.2f", pq[$2, f["rep"]] / f["qps"])
    }
    END {
        for (conn in c) {
            P = "mtaguard-policyd" SUBSEP conn; R = "postfix-mta-sts-resolver" SUBSEP conn; E = "echo-socketmap" SUBSEP conn
            p = median(qps[P]); r = median(qps[R]); e = median(qps[E])
            pc = median(cpu[P]); rc = median(cpu[R]); ec = median(cpu[E])
            printf "%s (medians): qps policyd %d resolver %d echo %d; policyd/echo %.2f (turns:%s), resolver/echo %.2f; p99 us policyd %d resolver %d echo %d; cpu us per query policyd %s resolver %s echo %s; policyd/resolver %.2f, policyd/echo %.2f\n",
                conn, p, r, e, p / e, turns[conn], r / e, median(p99[P]), median(p99[R]), median(p99[E]),
                pc, rc, ec, (rc > 0 ? pc / rc : 0), (ec > 0 ? pc / ec : 0)
        }
    }' results.txt
