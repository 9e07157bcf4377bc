// reply: the socketmap side of MTA-STS for Postfix smtp_tls_policy_maps
// (socketmap_table(5)): how a request payload "NAME KEY" is split and its KEY
// classified, and how a policy becomes the reply text (DESIGN.md,
// "mtaguard-policyd behaviour").
//
//   enforce policy   OK secure match=mx1.example.com:.example.net servername=hostname
//                    ("*.d" becomes ".d", Postfix's sub-domain pattern)
//   anything else    "NOTFOUND " (RFC 8461 §5: deliver as if there were no
//                    policy; the trailing space is what Postfix expects)
//   other map name   PERM unknown map name
//
// With TLSRPT attributes (Postfix >= 3.10 TLSRPT_README, "MTA-STS Support via
// smtp_tls_policy_maps"): policy_type=sts policy_domain=D, one
// mx_host_pattern=P per "mx:", one { policy_string = LINE } per policy line.
// Postfix splits the reply on white space and reads name=value pairs, so
// nothing from a policy may carry white space, '=', '{' or '}' into the
// reply: mx patterns must be LDH host names (optionally "*."), policy lines
// with '{', '}', '=' or a control character are dropped (RFC 8461 §3.2 lines
// never need them).
//
// With policy failures (sts_policy_failure = yes): a domain that publishes an
// _mta-sts record but has no policy because its fetch failed gets
//   OK secure policy_type=sts policy_domain=D policy_failure=TYPE
// (TYPE an RFC 8460 §4.3.2.2 result type): Postfix >= 3.10 fails the TLS
// policy for it, defers the mail and reports the failure to the domain's
// TLSRPT address. This departs from RFC 8461 §3.3 (deliver as if there were
// no policy) and is off by default; a valid cached policy kept after a
// failed refetch is never reported as a failure (RFC 8461 §3.3 keeps it).
// Limits: a reply stays within kMaxReplySize (Postfix socketmap_max_reply_size);
// policy_string attributes are dropped first when it would not.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sts/get.h"
#include "sts/policy.h"

namespace sts {

inline constexpr std::string_view kReplyNotFound = "NOTFOUND ";
inline constexpr std::string_view kReplyUnknownMap = "PERM unknown map name";
inline constexpr std::size_t kMaxReplySize = 100000;

struct SocketmapRequest {
    std::string_view map_name;
    std::string_view key;
};

// "NAME KEY" split at the first space; nullopt when either part is empty
// (a malformed request: the server closes the connection).
std::optional<SocketmapRequest> split_request(std::string_view payload);

// What a lookup KEY is. Only Domain may have a policy; the rest are answered
// NOTFOUND at once, without network.
enum class KeyKind {
    Domain,       // a domain name: look up its policy
    ParentProbe,  // ".example.com": Postfix's parent-domain lookup
    NextHop,      // "[host]", "[host]:port", "host:port": an explicit next hop
    IpLiteral,    // "192.0.2.1", "::1"
    NotADomain,   // anything else (domain::parse refused it)
};
std::string_view key_kind_name(KeyKind kind);

struct Key {
    KeyKind kind = KeyKind::NotADomain;
    std::string domain;  // Domain: lowercase A-label form, no trailing dot
    std::string error;   // NotADomain: why
};

// Case-insensitive, trailing dot allowed, U-labels converted with IDNA.
Key classify_key(std::string_view key);

struct ReplyOptions {
    bool tlsrpt_attributes = false;  // sts_tlsrpt_attributes
    bool policy_failure = false;     // sts_policy_failure
};

// The reply for `domain` (A-label) given the policy that applies (nullopt: no
// policy). policy_text is the policy file as fetched (for policy_string);
// when empty the lines are rebuilt from the parsed policy.
std::string policy_reply(const std::optional<Policy>& policy, std::string_view policy_text,
                         std::string_view domain, const ReplyOptions& options);

// The reply for a domain without a policy: NOTFOUND, or the policy_failure
// reply above when options.policy_failure and `failure` is not None.
std::string no_policy_reply(FetchFailure failure, std::string_view domain, const ReplyOptions& options);

// The reply for what the cache holds (sts::lookup_cached): a fresh policy as
// policy_reply() says, a backoff row as no policy (RFC 8461 §3.3). Not for
// CacheState::Miss (nothing to answer yet).
std::string cached_reply(const Lookup& lookup, std::string_view domain, const ReplyOptions& options);

// The reply for what sts::get() found.
std::string result_reply(const GetResult& result, std::string_view domain, const ReplyOptions& options);

// "fresh", "backoff", "miss" (logs, --json).
std::string_view cache_state_name(CacheState state);

// Attribute-safety checks, exposed for tests.
bool safe_mx_pattern(std::string_view pattern);
bool safe_policy_string(std::string_view line);

}  // namespace sts
