#!/bin/sh
# policyd-bench.sh: mtaguard-policyd against a minimal echo socketmap server,
# warm cache, at 1, 16 and 64 connections: queries/s, p99 latency, server
# CPU time per query, peak RSS, and the ratios to the echo server.
#
#   bench/policyd-bench.sh BUILDDIR [REQUESTS_PER_CONNECTION]
#
# Everything runs on loopback: ldns-testns serves _mta-sts TXT for one
# enforce domain and NXDOMAIN for 1,000 domains without a policy; openssl
# s_server serves the enforce policy with a CA made here. The key mix is one
# enforce domain in ten, the rest domains without a policy (negative cache
# rows): both are cache hits after the warm-up pass. Needs ldnsutils, openssl.
# The load generator shares the machine's cores with the server: compare the
# servers' CPU time per query, not only the rates.
set -eu
BUILD=$(cd "${1:?usage: policyd-bench.sh BUILDDIR [REQUESTS]}" && pwd)
REQUESTS=${2:-20000}
WORK=$(mktemp -d /tmp/policyd-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
cd "$WORK"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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
HTTPS_PORT=$(free_port)
(cd www && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$HTTPS_PORT" -cert ../host.pem -key ../host.key) \
    >/dev/null 2>&1 &
PIDS="$PIDS $!"

# --- DNS ---
{
    printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR RD RA NOERROR\nSECTION QUESTION\n'
    printf '_mta-sts.enforce.bench. IN TXT\nSECTION ANSWER\n_mta-sts.enforce.bench. 300 IN TXT "v=STSv1; id=1"\nENTRY_END\n'
    printf 'ENTRY_BEGIN\nMATCH opcode\nADJUST copy_id\nREPLY QR RD RA NXDOMAIN\nENTRY_END\n'
} > zone.data
DNS_PORT=$(free_port)
ldns-testns -p "$DNS_PORT" zone.data >/dev/null 2>&1 &
PIDS="$PIDS $!"

# --- keys: one enforce domain in ten ---
SECURE="OK secure match=mx1.enforce.bench:.mx.enforce.bench servername=hostname"
i=0
while [ $i -lt 1000 ]; do
    if [ $((i % 10)) -eq 0 ]; then printf 'enforce.bench\t%s\n' "$SECURE"; fi
    printf 'd%d.nopolicy.bench\tNOTFOUND \n' "$i"
    i=$((i + 1))
done > keys.txt

cat > mtaguard.conf <<CONF
policyd_socket = unix:$WORK/policyd.sock
policyd_pid_file =
cache_dir = $WORK/cache
user = $(id -un)
dns_nameservers = 127.0.0.1:$DNS_PORT
sts_ca_file = $WORK/ca.pem
sts_fetch_port = $HTTPS_PORT
sts_fetch_resolve = mta-sts.enforce.bench:127.0.0.1
log_level = notice
policyd_max_connections = 1000
CONF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
wait_socket() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }

# run NAME PID SOCKET: one line per connection count
run() {
    name=$1 pid=$2 sock=$3
    for c in 1 16 64; do
        before=$(cpu_ticks "$pid")
        line=$("$BUILD/bench/socketmap-load" -s "unix:$sock" -m mta-sts -k keys.txt -c "$c" -n "$REQUESTS" -w 1100)
        after=$(cpu_ticks "$pid")
        requests=$(echo "$line" | sed 's/.* requests=\([0-9]*\).*/\1/')
        ticks=$(getconf CLK_TCK)
        cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
        echo "$name $line cpu_us_per_query=$cpu_us rss_kb=$(peak_rss_kb "$pid")"
    done
}

"$BUILD/policyd/mtaguard-policyd" -f -c mtaguard.conf 2>policyd.log &
POLICYD=$!
PIDS="$PIDS $POLICYD"
wait_socket "$WORK/policyd.sock"
# Warm the cache: every key once (fetches and negative rows), then measure.
"$BUILD/bench/socketmap-load" -s "unix:$WORK/policyd.sock" -m mta-sts -k keys.txt -c 1 -n 1100 -w 0 >/dev/null
"$BUILD/bench/echo-socketmap" -s "unix:$WORK/echo.sock" &
ECHO=$!
PIDS="$PIDS $ECHO"
wait_socket "$WORK/echo.sock"

run mtaguard-policyd "$POLICYD" "$WORK/policyd.sock" | tee results.txt
# The echo server looks nothing up: check the framing only.
sed -i "s/\t.*//" keys.txt
run echo-socketmap "$ECHO" "$WORK/echo.sock" | tee -a results.txt
echo
awk '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, $2, kv[1]] = kv[2] } c[$2] = 1 }
    END {
        for (conn in c) {
            p = v["mtaguard-policyd", conn, "qps"]; e = v["echo-socketmap", conn, "qps"]
            if (e > 0) printf "%s qps ratio policyd/echo = %.2f\n", conn, p / e
        }
    }' results.txt
