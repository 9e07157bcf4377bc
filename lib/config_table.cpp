// config_table: every mtaguard.conf parameter, in one place. The parser,
// `mtaguard config`, `-n` checks and the man page test (which fails when
// mtaguard.conf(5) and this table disagree) all read this table.
// Durations: min/max are in milliseconds.
#include "config.h"

namespace config {
namespace {

constexpr long long kSec = 1000;
constexpr long long kMin = 60 * kSec;
constexpr long long kHour = 60 * kMin;
constexpr long long kDay = 24 * kHour;

// clang-format off
constexpr Param kParams[] = {
    // --- common ---
    {"syslog_facility", Type::Choice, "mail", 0, 0,
     "mail|daemon|user|local0|local1|local2|local3|local4|local5|local6|local7",
     "syslog facility of all mtaguard programs"},
    {"log_level", Type::Choice, "info", 0, 0, "error|warning|notice|info|debug",
     "lowest syslog level that is logged"},
    {"user", Type::String, "mtaguard", 0, 0, "",
     "daemons drop root privileges to this user after opening sockets, pid file and database"},
    {"dns_nameservers", Type::List, "", 0, 0, "",
     "DNS servers as ip, ip:port or [ipv6]:port; empty: those of /etc/resolv.conf"},
    {"dns_timeout", Type::Duration, "5s", 100, 60 * kSec, "",
     "timeout of one DNS query attempt (a query is retried once)"},
    {"cache_dir", Type::Path, "/var/lib/mtaguard", 0, 0, "",
     "Berkeley DB environment home: MTA-STS policy cache and DMARC report history"},

    // --- DMARC (mtaguard-milter, mtaguard dmarc) ---
    {"dmarc_discovery", Type::Choice, "treewalk", 0, 0, "treewalk|psl",
     "policy discovery: treewalk (RFC 9989 DNS tree walk) or psl (RFC 7489 public suffix list)"},
    {"public_suffix_list", Type::Path, "", 0, 0, "",
     "public suffix list file for dmarc_discovery = psl; empty: libpsl's built-in list"},
    {"dmarc_sampling", Type::Bool, "yes", 0, 0, "",
     "honour the RFC 7489 pct tag (sampling); no: apply the policy to every failing message"},
    {"dmarc_cache_size", Type::Integer, "10000", 0, 10000000, "",
     "maximum number of DMARC DNS answers kept in memory; 0 disables the cache"},
    {"dmarc_cache_max_ttl", Type::Duration, "1h", 0, 7 * kDay, "",
     "upper bound on how long a DMARC DNS answer is cached, whatever its TTL"},
    {"dmarc_cache_negative_ttl", Type::Duration, "5m", 0, kDay, "",
     "upper bound on how long a negative DMARC DNS answer (NXDOMAIN, no record) is cached"},
    {"dmarc_cache_failure_ttl", Type::Duration, "30s", 0, 5 * kMin, "",
     "how long a DMARC DNS lookup that failed (SERVFAIL, timeout) is not asked again; 0: ask every time"},
    {"authserv_id", Type::String, "", 0, 0, "",
     "authserv-id of the Authentication-Results header mtaguard-milter adds; empty: the host name"},
    {"trusted_authserv_ids", Type::List, "", 0, 0, "",
     "authserv-ids of upstream filters whose Authentication-Results are believed"},
    {"dmarc_reject_failures", Type::Bool, "no", 0, 0, "",
     "reject (550 5.7.1) messages that fail DMARC under a reject policy"},
    {"dmarc_reject_malformed_from", Type::Bool, "yes", 0, 0, "",
     "with dmarc_reject_failures = yes, also reject messages whose From cannot be evaluated (none, unparseable)"},
    {"dmarc_quarantine_action", Type::Choice, "tag", 0, 0, "tag|quarantine",
     "failures under a quarantine policy: only tag them, or also put them on hold"},
    {"dmarc_temperror_action", Type::Choice, "accept", 0, 0, "accept|tempfail",
     "DMARC temperror (DNS failure): accept the message, or answer 451 4.7.1"},
    {"milter_socket", Type::String, "unix:/run/mtaguard/milter.sock", 0, 0, "",
     "libmilter socket: unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
    {"milter_pid_file", Type::Path, "/run/mtaguard/milter.pid", 0, 0, "",
     "pid file of mtaguard-milter; empty: none"},
    {"milter_skip_networks", Type::List, "", 0, 0, "",
     "client networks (CIDR) whose mail is not evaluated"},
    {"milter_skip_authenticated", Type::Bool, "yes", 0, 0, "",
     "do not evaluate SMTP-authenticated submissions"},

    // --- MTA-STS (mtaguard-policyd, mtaguard sts, mtaguard cache) ---
    {"policyd_socket", Type::String, "unix:/run/mtaguard/policyd.sock", 0, 0, "",
     "socketmap listener: unix:PATH or inet:HOST:PORT"},
    {"policyd_map_name", Type::String, "mta-sts", 0, 0, "",
     "socketmap name that Postfix sends; other names get PERM"},
    {"policyd_pid_file", Type::Path, "/run/mtaguard/policyd.pid", 0, 0, "",
     "pid file of mtaguard-policyd; empty: none"},
    {"policyd_idle_timeout", Type::Duration, "5m", kSec, kDay, "",
     "close a socketmap connection idle for this long"},
    {"policyd_miss_wait", Type::Duration, "20s", 0, 90 * kSec, "",
     "how long a lookup of an uncached domain waits for its fetch before answering NOTFOUND"},
    {"policyd_max_connections", Type::Integer, "8192", 1, 1000000, "",
     "maximum number of concurrent socketmap connections"},
    {"sts_tlsrpt_attributes", Type::Bool, "no", 0, 0, "",
     "add Postfix >= 3.10 TLSRPT attributes (policy_type, policy_domain, ...) to replies"},
    {"sts_policy_failure", Type::Bool, "no", 0, 0, "",
     "yes: a domain whose MTA-STS record was found but whose policy could not be fetched gets policy_failure (Postfix >= 3.10 defers its mail) instead of NOTFOUND"},
    {"sts_ca_file", Type::Path, "", 0, 0, "",
     "CA bundle for verifying mta-sts.<domain> certificates; empty: the system trust store"},
    {"sts_connect_timeout", Type::Duration, "10s", 100, 5 * kMin, "",
     "connect timeout of a policy fetch"},
    {"sts_fetch_timeout", Type::Duration, "30s", 100, 10 * kMin, "",
     "total timeout of a policy fetch (connect, TLS, transfer)"},
    {"sts_fetch_port", Type::Integer, "443", 1, 65535, "",
     "TCP port of policy fetches; anything but 443 is for testing"},
    {"sts_fetch_resolve", Type::List, "", 0, 0, "",
     "for testing: HOST:ADDRESS pairs that policy fetches use instead of DNS"},
    {"sts_fetch_helper", Type::Path, "", 0, 0, "",
     "program mtaguard-policyd runs for each HTTPS policy fetch; empty: the mtaguard-sts-fetch installed with it"},
    {"sts_backoff", Type::Duration, "5m", kSec, kDay, "",
     "after a failed discovery or fetch, act as if there were no policy for this long"},
    {"sts_refresh_interval", Type::Duration, "1h", kMin, 7 * kDay, "",
     "how often the background refresher runs"},
    {"sts_refresh_before_expiry", Type::Duration, "1d", kMin, 30 * kDay, "",
     "refresh a recently used policy when it expires within this time"},
    {"sts_unused_expiry", Type::Duration, "180d", kHour, 3650 * kDay, "",
     "drop cached policies not used for this long"},
    {"sts_refresh_concurrency", Type::Integer, "4", 1, 256, "",
     "maximum number of concurrent background fetches"},
    {"sts_cache_memory_kb", Type::Integer, "256", 64, 1048576, "",
     "Berkeley DB cache of the policy cache environment, in KiB; the rest is read through the OS page cache"},

    // --- DMARC aggregate reports (mtaguard report) ---
    {"report_dir", Type::Path, "", 0, 0, "",
     "Berkeley DB environment of the report history; empty: <cache_dir>/reports"},
    {"report_org_name", Type::String, "", 0, 0, "",
     "org_name of aggregate reports; empty: the host name"},
    {"report_email", Type::String, "", 0, 0, "",
     "sender and contact address of aggregate reports; empty: postmaster@<host name>"},
    {"report_retention", Type::Duration, "31d", kDay, 3650 * kDay, "",
     "evaluation history older than this is purged"},
    {"report_interval", Type::Duration, "1d", kHour, kDay, "",
     "aggregate report period of a policy domain whose record has no ri"},
    {"report_sendmail", Type::Path, "/usr/sbin/sendmail", 0, 0, "",
     "sendmail(1) program used to mail aggregate reports"},
};
// clang-format on

}  // namespace

std::span<const Param> table() { return kParams; }

const Param* find_param(std::string_view name) {
    for (const Param& p : kParams)
        if (p.name == name) return &p;
    return nullptr;
}

std::string_view type_name(Type type) {
    switch (type) {
        case Type::String: return "string";
        case Type::Path: return "path";
        case Type::Bool: return "bool";
        case Type::Integer: return "integer";
        case Type::Duration: return "duration";
        case Type::Choice: return "choice";
        case Type::List: return "list";
    }
    return "?";
}

}  // namespace config
