// fetch_wire: what mtaguard-policyd and its fetch helper (mtaguard-sts-fetch,
// policyd/fetch_helper_main.cpp) say to each other over the socket pair
// between them.
//
// mtaguard-policyd keeps libcurl, and the TLS and HTTP parsing of what remote
// policy hosts send, out of its own process: each fetch runs in a helper
// process (policyd/helper_fetcher.h). One exchange per fetch, each message one
// netstring:
//   request  the policy domain (ASCII), at most kMaxRequest octets
//   reply    version 1: u8 version, u8 FetchFailure, str failure_reason,
//            str error, text policy text (lib/binary.h encoding)
// The reply carries only the transport outcome and the policy text: the
// daemon parses the text itself (RFC 8461 §3.2) and does not take the
// helper's word that a policy is valid. Every length is bounded; a reply that
// breaks a bound or names an unknown failure is refused as a whole.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sts/fetch.h"
#include "sts/policy.h"

namespace sts::fetch_wire {

inline constexpr std::size_t kMaxRequest = 1024;  // a domain name is at most 253 octets
inline constexpr std::size_t kMaxReason = 128;
inline constexpr std::size_t kMaxError = 4096;
// Netstring payload bound of a reply: the fields plus their length prefixes.
inline constexpr std::size_t kMaxReply = 2 + 2 + kMaxReason + 2 + kMaxError + 4 + kMaxPolicySize;

// The reply payload (without the netstring framing). Fields longer than
// their bounds are cut (the policy text never is: a fetch caps it at
// kMaxPolicySize).
std::string encode_reply(const FetchResult& result);

// Decodes a reply payload into `out` (failure, failure_reason, error, text;
// `out.policy` is left empty: the caller parses `text`). False and `error`
// set when the payload is malformed.
bool decode_reply(std::string_view payload, FetchResult& out, std::string& error);

}  // namespace sts::fetch_wire
