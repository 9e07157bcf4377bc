// record: the binary encoding of one report::Evaluation as a row of the
// history database.
//
// Layout (lib/binary.h; all integers big-endian): a version byte, the time
// as 8 bytes, then strings as a 2-byte length and bytes, lists as a 1-byte
// count and items, pct as 1 byte, flags as 1 byte. Version 2 (kRecordVersion)
// adds, after the rua list, the published ri: a presence byte (0 or 1) and,
// when 1, 4 bytes. Version 1 rows (written before ri was kept) still decode,
// with no ri. A decoder that meets an unknown version refuses the row
// instead of guessing.
// Limits, checked on both sides: a string of at most kMaxField bytes, a list
// of at most kMaxItems entries, a row of at most kMaxRecord bytes. encode()
// truncates overlong strings and lists (the milter's input is untrusted);
// decode() refuses anything malformed: a short or overlong row, a field that
// breaks a limit, trailing bytes. Rows are never trusted: the file may have
// been written by another version or damaged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "report/history.h"

namespace report {

inline constexpr std::uint8_t kRecordVersion = 2;
inline constexpr std::uint8_t kOldestRecordVersion = 1;  // still decoded
inline constexpr std::size_t kMaxField = 1024;     // bytes of one string
inline constexpr std::size_t kMaxItems = 32;       // entries of one list
inline constexpr std::size_t kMaxRecord = 64 * 1024;

std::vector<std::uint8_t> encode(const Evaluation& evaluation);

struct Decoded {
    std::optional<Evaluation> evaluation;  // nullopt: see error
    std::string error;
};
Decoded decode(std::span<const std::uint8_t> row);

}  // namespace report
