// cache_row: one MTA-STS policy cache row (the seed's PolicyRecord) and its
// versioned binary encoding.
//
// Encoding, version 1 (lib/binary.h; all integers big-endian):
//   u8  version (= kRowVersion)
//   str domain                      str = u16 length + bytes
//   i64 inserted, valid_until, last_update, last_use, last_checked (Unix seconds)
//   u8  flags (bit 0: backoff; other bits must be 0)
//   str record_id
//   u8  mode (0 enforce, 1 testing, 2 none); u32 max_age; str version
//   u16 mx count, then str each; u16 extension count, then str key, str value each
//   u32 policy text length + bytes
//   u8  failure (0 none, 1 fetch error, 2 policy invalid, 3 webpki invalid); str reason
// The decoder is strict and bounded: an unknown version, a length beyond
// its limit or the remaining input, an out-of-range enum, unknown flag bits
// or trailing bytes reject the row (DecodedRow::error), never a crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sts/fetch.h"
#include "sts/policy.h"

namespace sts {

using Seconds = std::chrono::sys_seconds;

inline constexpr std::uint8_t kRowVersion = 1;
inline constexpr std::size_t kMaxRowString = 1024;     // domain, id, patterns, extensions, reason
inline constexpr std::size_t kMaxRowListItems = 1024;  // mx patterns, extensions

struct CacheRow {
    std::string domain;                         // lowercase A-label: the key
    Seconds inserted{};                         // first stored
    Seconds valid_until{};                      // last_update + max_age (backoff: + sts_backoff)
    Seconds last_update{};                      // policy last fetched and stored
    Seconds last_use{};                         // last looked up for delivery
    Seconds last_checked{};                     // TXT id last compared with DNS
    bool backoff = false;                       // a failed fetch: no policy until valid_until
    std::string record_id;                      // TXT id the policy was fetched for
    Policy policy;                              // backoff: mode none
    std::string policy_text;                    // as fetched (TLSRPT policy-string)
    FetchFailure failure = FetchFailure::None;  // last fetch failure (TLSRPT)
    std::string failure_reason;
};

std::string encode_row(const CacheRow& row);

struct DecodedRow {
    std::optional<CacheRow> row;
    std::string error;
};

DecodedRow decode_row(std::string_view bytes);

}  // namespace sts
