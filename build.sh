#!/usr/bin/env bash
# build.sh: mtaguard's quick start on Debian 12, as root.
#
#   ./build.sh run     install dependencies, build, start the daemons on
#                      loopback under ./var/ and print the Postfix main.cf lines
#   ./build.sh check   install dependencies, build, run every test: unit,
#                      integration, fuzz corpus replay, then the unit tests
#                      again under ASan + UBSan; ends with "N passed, N failed"
#   ./build.sh deps    only install the Debian packages
#   ./build.sh build   only build (in ./build/)
set -euo pipefail
cd "$(dirname "$0")"
TOP=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

# Every Debian package mtaguard needs to build, test and benchmark: one list.
PACKAGES=(
    autoconf automake pkg-config make g++ clang libclang-rt-14-dev
    libmilter-dev libldns-dev ldnsutils libcurl4-openssl-dev libssl-dev openssl
    libdb-dev db-util libpsl-dev libidn2-dev zlib1g-dev libcppunit-dev
    postfix swaks iproute2 ca-certificates util-linux
    opendmarc postfix-mta-sts-resolver
    libxml2-utils linux-perf
)

install_deps() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "build.sh: missing packages (run as root to install): ${missing[*]}" >&2
        exit 1
    fi
    echo "build.sh: installing ${missing[*]}"
    # Postfix must not ask questions nor configure a system instance.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_tree() {  # configure_tree DIR [configure options...]
    local dir=$1
    shift
    if [ ! -x configure ] || [ configure.ac -nt configure ]; then
        autoreconf -fi
    fi
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ]; then
        (cd "$dir" && "$TOP/configure" --enable-werror --sysconfdir=/etc --localstatedir=/var "$@")
    fi
}

build() {
    configure_tree build
    make -C build -j"$JOBS"
}

# Sums the closing "N passed, N failed" lines of the given logs.
summarise() {
    local passed=0 failed=0 log line
    for log in "$@"; do
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" 2>/dev/null | tail -n 1 || true)
        if [ -z "$line" ]; then
            echo "build.sh: $log has no result line (the runner did not finish)"
            failed=$((failed + 1))
            continue
        fi
        echo "$(basename "$log" .log): $line"
        passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
        failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    done
    echo "total: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

check() {
    build
    local status=0
    make -C build -j"$JOBS" check || status=1
    [ $status -eq 0 ] || cat build/test-suite.log || true

    # -O1 compiles faster than the default -O2 and is what ASan recommends.
    configure_tree build-sanitizers --enable-sanitizers CXXFLAGS="-g -O1"
    make -C build-sanitizers -j"$JOBS" tests/unit/unit-tests
    (cd build-sanitizers && MTAGUARD_SRCDIR=$TOP LSAN_OPTIONS=suppressions=$TOP/tests/unit/lsan.supp \
        ./tests/unit/unit-tests > unit-tests-sanitizers.log 2>&1) || {
        status=1
        tail -n 50 build-sanitizers/unit-tests-sanitizers.log
    }
    summarise build/tests/unit/unit-tests.log build/tests/integration/integration-tests.log \
        build/tests/fuzz/fuzz-replay.log build-sanitizers/unit-tests-sanitizers.log || status=1
    return $status
}

run() {
    build
    local var=$TOP/var
    mkdir -p "$var/run" "$var/db"
    # The daemons drop to the postfix user, so Postfix can use their sockets.
    local user=postfix
    id "$user" > /dev/null 2>&1 || user=nobody
    chown "$user" "$var/run" "$var/db"
    cat > "$var/mtaguard.conf" <<CONF
# Written by ./build.sh run: a loopback setup under $var
cache_dir = $var/db
milter_socket = unix:$var/run/milter.sock
milter_pid_file = $var/run/milter.pid
policyd_socket = unix:$var/run/policyd.sock
policyd_pid_file = $var/run/policyd.pid
sts_fetch_helper = $TOP/build/policyd/mtaguard-sts-fetch
user = $user
CONF
    local pids=() daemon
    for daemon in milter/mtaguard-milter policyd/mtaguard-policyd; do
        if [ -x "build/$daemon" ]; then
            "build/$daemon" -f -c "$var/mtaguard.conf" &
            pids+=($!)
        else
            echo "build.sh: $daemon is not built yet; not started"
        fi
    done
    cat <<MAINCF

# Postfix main.cf lines for this setup:
smtpd_milters = unix:$var/run/milter.sock
non_smtpd_milters = \$smtpd_milters
milter_default_action = accept
smtp_tls_policy_maps = socketmap:unix:$var/run/policyd.sock:mta-sts

MAINCF
    "build/tools/mtaguard" -c "$var/mtaguard.conf" config -n
    if [ ${#pids[@]} -gt 0 ]; then
        trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
        wait
    fi
}

case "${1:-}" in
    run) install_deps; run ;;
    check) install_deps; check ;;
    deps) install_deps ;;
    build) install_deps; build ;;
    *) echo "usage: $0 run|check|deps|build" >&2; exit 2 ;;
esac
