// cache_row: the versioned binary encoding of a policy cache row; see
// cache_row.h for the layout and the decoder's rules.
#include "sts/cache_row.h"

#include <algorithm>

namespace sts {
namespace {

constexpr std::uint8_t kFlagBackoff = 0x01;

class Writer {
public:
    void u8(std::uint8_t v) { out_ += static_cast<char>(v); }
    void u16(std::uint16_t v) { be(v, 2); }
    void u32(std::uint32_t v) { be(v, 4); }
    void i64(std::int64_t v) { be(static_cast<std::uint64_t>(v), 8); }
    void time(Seconds t) { i64(t.time_since_epoch().count()); }
    // Longer strings are cut to the decoder's limit rather than written unreadable.
    void str(std::string_view s) {
        s = s.substr(0, kMaxRowString);
        u16(static_cast<std::uint16_t>(s.size()));
        out_ += s;
    }
    void text(std::string_view s) {
        s = s.substr(0, kMaxPolicySize);
        u32(static_cast<std::uint32_t>(s.size()));
        out_ += s;
    }
    std::string take() { return std::move(out_); }

private:
    void be(std::uint64_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    std::string out_;
};

// Every read checks the remaining input; the first failure sticks.
class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    bool at_end() const { return in_.empty(); }
    void fail(std::string message) {
        if (error_.empty()) error_ = std::move(message);
    }

    std::uint64_t be(int bytes, const char* what) {
        if (!ok()) return 0;
        if (in_.size() < static_cast<std::size_t>(bytes)) {
            fail(std::string("truncated at ") + what);
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in_[i]);
        in_.remove_prefix(bytes);
        return v;
    }
    std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(be(1, what)); }
    std::uint16_t u16(const char* what) { return static_cast<std::uint16_t>(be(2, what)); }
    std::uint32_t u32(const char* what) { return static_cast<std::uint32_t>(be(4, what)); }
    Seconds time(const char* what) {
        return Seconds(std::chrono::seconds(static_cast<std::int64_t>(be(8, what))));
    }
    std::string bytes(std::size_t size, std::size_t limit, const char* what) {
        if (!ok()) return {};
        if (size > limit) {
            fail(std::string(what) + " longer than its limit");
            return {};
        }
        if (in_.size() < size) {
            fail(std::string("truncated in ") + what);
            return {};
        }
        std::string s(in_.substr(0, size));
        in_.remove_prefix(size);
        return s;
    }
    std::string str(const char* what) { return bytes(u16(what), kMaxRowString, what); }
    std::string text(const char* what) { return bytes(u32(what), kMaxPolicySize, what); }
    std::size_t count(const char* what) {
        std::size_t n = u16(what);
        if (n > kMaxRowListItems) fail(std::string(what) + " count beyond its limit");
        return ok() ? n : 0;
    }

private:
    std::string_view in_;
    std::string error_;
};

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
    w.str(p.version);
    std::size_t mx = std::min(p.mx.size(), kMaxRowListItems);
    w.u16(static_cast<std::uint16_t>(mx));
    for (std::size_t i = 0; i < mx; ++i) w.str(p.mx[i]);
    std::size_t ext = std::min(p.extensions.size(), kMaxRowListItems);
    w.u16(static_cast<std::uint16_t>(ext));
    for (std::size_t i = 0; i < ext; ++i) {
        w.str(p.extensions[i].first);
        w.str(p.extensions[i].second);
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
    p.version = r.str("version");
    for (std::size_t i = 0, n = r.count("mx count"); i < n && r.ok(); ++i)
        p.mx.push_back(r.str("mx"));
    for (std::size_t i = 0, n = r.count("extension count"); i < n && r.ok(); ++i) {
        std::string key = r.str("extension key");
        p.extensions.emplace_back(std::move(key), r.str("extension value"));
    }
}

}  // namespace

std::string encode_row(const CacheRow& row) {
    Writer w;
    w.u8(kRowVersion);
    w.str(row.domain);
    w.time(row.inserted);
    w.time(row.valid_until);
    w.time(row.last_update);
    w.time(row.last_use);
    w.time(row.last_checked);
    w.u8(row.backoff ? kFlagBackoff : 0);
    w.str(row.record_id);
    write_policy(w, row.policy);
    w.text(row.policy_text);
    w.u8(failure_code(row.failure));
    w.str(row.failure_reason);
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
    row.domain = r.str("domain");
    if (r.ok() && row.domain.empty()) r.fail("empty domain");
    row.inserted = r.time("inserted");
    row.valid_until = r.time("valid_until");
    row.last_update = r.time("last_update");
    row.last_use = r.time("last_use");
    row.last_checked = r.time("last_checked");
    std::uint8_t flags = r.u8("flags");
    if (flags & ~kFlagBackoff) r.fail("unknown flag bits");
    row.backoff = (flags & kFlagBackoff) != 0;
    row.record_id = r.str("record id");
    read_policy(r, row.policy);
    row.policy_text = r.text("policy text");
    std::uint8_t failure = r.u8("failure");
    if (auto f = failure_from(failure))
        row.failure = *f;
    else
        r.fail("unknown failure type " + std::to_string(failure));
    row.failure_reason = r.str("failure reason");
    if (r.ok() && !r.at_end()) r.fail("trailing bytes");
    if (!r.ok()) {
        out.error = r.error();
        return out;
    }
    out.row = std::move(row);
    return out;
}

}  // namespace sts
