// record: the DMARC policy record parser (RFC 7489 §6.3/§6.4, RFC 9989 §4.7).
//
// parse_record(txt) reads one TXT string (the strings of one TXT record
// already joined, RFC 7489 §6.1) and tells apart:
//   - not a DMARC record at all (is_dmarc = false): it does not start with
//     the `v=DMARC1` tag; discovery skips it (RFC 7489 §6.6.3 step 2);
//   - a DMARC record with a syntax error (is_dmarc = true, valid = false):
//     discovery reports permerror;
//   - a valid record, defaults applied (RFC 7489 §6.3, RFC 9989 §4.7).
// Choices where the RFCs leave room (documented in mtaguard(1)):
//   - tag names and keyword values are case-insensitive (RFC 5234 §2.3
//     quoted strings), the version value "DMARC1" is exact (RFC 7489 §6.4
//     writes it with %x codes);
//   - a bad value of a known tag other than p/sp/np, an empty tag (";;")
//     or a tag without "=" after v is a syntax error in the remainder of
//     the record: discarded in favour of the default, with a warning
//     (RFC 7489 §6.3, RFC 9989 §4.7); a rua/ruf URI with a syntax error is
//     dropped and the others kept;
//   - no valid p (or a bad sp/np): with a valid rua the record reads as
//     p=none (RFC 7489 §6.6.3, RFC 9989 §4.10.1); without one the record is
//     invalid (no DMARC processing; discovery says permerror);
//   - a duplicate tag makes the whole record invalid (RFC 7489 §6.3 adopts
//     the DKIM tag-list, RFC 6376 §3.2);
//   - `p` may appear anywhere after `v` (RFC 9989 §4.7 dropped RFC 7489's
//     "v then p" order); a `p` elsewhere than second adds a warning.
// Limits: kMaxRecordLength octets (longer: invalid), kMaxUris per rua/ruf
// list (the rest dropped); a size suffix (`!10m`) beyond 2^64 is a syntax
// error in that URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmarc/result.h"

namespace dmarc {

inline constexpr std::size_t kMaxRecordLength = 8192;
inline constexpr std::size_t kMaxUris = 32;

enum class Alignment { Relaxed, Strict };  // adkim / aspf: "r" / "s"

// One rua/ruf destination: `URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]`.
struct ReportUri {
    std::string uri;
    std::optional<std::uint64_t> max_size_bytes;
    bool operator==(const ReportUri&) const = default;
};

struct Record {
    Policy p = Policy::None;
    Policy sp = Policy::None;  // defaults to p
    Policy np = Policy::None;  // defaults to sp
    bool p_explicit = false;   // false: p=none taken from the rua fallback
    bool sp_explicit = false;
    bool np_explicit = false;
    Alignment adkim = Alignment::Relaxed;
    Alignment aspf = Alignment::Relaxed;
    int pct = 100;
    std::vector<std::string> fo{"0"};
    std::vector<std::string> rf{"afrf"};
    std::uint32_t ri = 86400;
    bool ri_explicit = false;  // a valid ri was published (RFC 9989 has none)
    std::vector<ReportUri> rua;
    std::vector<ReportUri> ruf;
    char psd = 'u';        // 'y', 'n' or 'u' (RFC 9989 §4.7)
    bool testing = false;  // t=y (RFC 9989 §4.7)
};

struct RecordParse {
    bool is_dmarc = false;
    bool valid = false;
    std::string error;  // set when !valid
    std::optional<Record> record;
    std::vector<std::string> warnings;  // tolerated oddities, for people
};

RecordParse parse_record(std::string_view txt);

std::string_view alignment_name(Alignment a);  // "r" / "s"

}  // namespace dmarc
