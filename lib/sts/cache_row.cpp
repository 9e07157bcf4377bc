// cache_row: the versioned binary encoding of a policy cache row; see
// cache_row.h for the layout and the decoder's rules.
#include "sts/cache_row.h"

#include <algorithm>

#include "binary.h"

namespace sts {
namespace {

constexpr std::uint8_t kFlagBackoff = 0x01;

using binary::Reader;
using binary::Writer;

void write_time(Writer& w, Seconds t) { w.i64(t.time_since_epoch().count()); }
Seconds read_time(Reader& r, const char* what) { return Seconds(std::chrono::seconds(r.i64(what))); }
void write_str(Writer& w, std::string_view s) { w.str(s, kMaxRowString); }
std::string read_str(Reader& r, const char* what) { return r.str(kMaxRowString, what); }

std::uint8_t mode_code(Mode m) {
    switch (m) {
        case Mode::Enforce:
            return 0;
        case Mode::Testing:
            return 1;
        case Mode::None:
            return 2;
    }
    return 2;
}

std::optional<Mode> mode_from(std::uint8_t code) {
    switch (code) {
        case 0:
            return Mode::Enforce;
        case 1:
            return Mode::Testing;
        case 2:
            return Mode::None;
    }
    return std::nullopt;
}

std::uint8_t failure_code(FetchFailure f) {
    switch (f) {
        case FetchFailure::None:
            return 0;
        case FetchFailure::FetchError:
            return 1;
        case FetchFailure::PolicyInvalid:
            return 2;
        case FetchFailure::WebPkiInvalid:
            return 3;
    }
    return 1;
}

std::optional<FetchFailure> failure_from(std::uint8_t code) {
    switch (code) {
        case 0:
            return FetchFailure::None;
        case 1:
            return FetchFailure::FetchError;
        case 2:
            return FetchFailure::PolicyInvalid;
        case 3:
            return FetchFailure::WebPkiInvalid;
    }
    return std::nullopt;
}

void write_policy(Writer& w, const Policy& p) {
    w.u8(mode_code(p.mode));
    w.u32(p.max_age);
    write_str(w, p.version);
    std::size_t mx = w.count16(p.mx.size(), kMaxRowListItems);
    for (std::size_t i = 0; i < mx; ++i) write_str(w, p.mx[i]);
    std::size_t ext = w.count16(p.extensions.size(), kMaxRowListItems);
    for (std::size_t i = 0; i < ext; ++i) {
        write_str(w, p.extensions[i].first);
        write_str(w, p.extensions[i].second);
    }
}

void read_policy(Reader& r, Policy& p) {
    std::uint8_t mode = r.u8("mode");
    if (auto m = mode_from(mode))
        p.mode = *m;
    else
        r.fail("unknown mode " + std::to_string(mode));
    p.max_age = r.u32("max_age");
    // RFC 8461 §3.2: max_age is at most 31557600; a larger stored value is corrupt.
    if (p.max_age > kMaxMaxAge) r.fail("max_age beyond 31557600");
    p.version = read_str(r, "version");
    for (std::size_t i = 0, n = r.count16(kMaxRowListItems, "mx"); i < n && r.ok(); ++i)
        p.mx.push_back(read_str(r, "mx"));
    for (std::size_t i = 0, n = r.count16(kMaxRowListItems, "extension"); i < n && r.ok(); ++i) {
        std::string key = read_str(r, "extension key");
        p.extensions.emplace_back(std::move(key), read_str(r, "extension value"));
    }
}

}  // namespace

std::string encode_row(const CacheRow& row) {
    Writer w;
    w.u8(kRowVersion);
    write_str(w, row.domain);
    for (Seconds t : {row.inserted, row.valid_until, row.last_update, row.last_use, row.last_checked})
        write_time(w, t);
    w.u8(row.backoff ? kFlagBackoff : 0);
    write_str(w, row.record_id);
    write_policy(w, row.policy);
    w.text(row.policy_text, kMaxPolicySize);
    w.u8(failure_code(row.failure));
    write_str(w, row.failure_reason);
    return w.take();
}

DecodedRow decode_row(std::string_view bytes) {
    DecodedRow out;
    Reader r(bytes);
    std::uint8_t version = r.u8("version");
    if (r.ok() && version != kRowVersion) {
        out.error = "unknown row version " + std::to_string(version);
        return out;
    }
    CacheRow row;
    row.domain = read_str(r, "domain");
    if (r.ok() && row.domain.empty()) r.fail("empty domain");
    row.inserted = read_time(r, "inserted");
    row.valid_until = read_time(r, "valid_until");
    row.last_update = read_time(r, "last_update");
    row.last_use = read_time(r, "last_use");
    row.last_checked = read_time(r, "last_checked");
    std::uint8_t flags = r.u8("flags");
    if (flags & ~kFlagBackoff) r.fail("unknown flag bits");
    row.backoff = (flags & kFlagBackoff) != 0;
    row.record_id = read_str(r, "record id");
    read_policy(r, row.policy);
    row.policy_text = r.text(kMaxPolicySize, "policy text");
    std::uint8_t failure = r.u8("failure");
    if (auto f = failure_from(failure))
        row.failure = *f;
    else
        r.fail("unknown failure type " + std::to_string(failure));
    row.failure_reason = read_str(r, "failure reason");
    if (r.ok() && !r.at_end()) r.fail("trailing bytes");
    if (!r.ok()) {
        out.error = r.error();
        return out;
    }
    out.row = std::move(row);
    return out;
}

}  // namespace sts
