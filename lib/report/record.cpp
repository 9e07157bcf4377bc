// record: see record.h for the layout and limits.
#include "report/record.h"

#include <algorithm>

namespace report {
namespace {

class Writer {
public:
    void byte(std::uint8_t b) { out_.push_back(b); }
    void u16(std::uint16_t v) {
        byte(static_cast<std::uint8_t>(v >> 8));
        byte(static_cast<std::uint8_t>(v));
    }
    void i64(std::int64_t v) {
        auto u = static_cast<std::uint64_t>(v);
        for (int shift = 56; shift >= 0; shift -= 8) byte(static_cast<std::uint8_t>(u >> shift));
    }
    void str(const std::string& s) {
        std::size_t n = std::min(s.size(), kMaxField);
        u16(static_cast<std::uint16_t>(n));
        out_.insert(out_.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
    }
    void strings(const std::vector<std::string>& list) {
        std::size_t n = std::min(list.size(), kMaxItems);
        byte(static_cast<std::uint8_t>(n));
        for (std::size_t i = 0; i < n; ++i) str(list[i]);
    }
    void auth(const std::vector<AuthResultEntry>& list) {
        std::size_t n = std::min(list.size(), kMaxItems);
        byte(static_cast<std::uint8_t>(n));
        for (std::size_t i = 0; i < n; ++i) {
            str(list[i].domain);
            str(list[i].selector);
            str(list[i].scope);
            str(list[i].result);
        }
    }
    std::vector<std::uint8_t> take() { return std::move(out_); }

private:
    std::vector<std::uint8_t> out_;
};

// Every read checks the remaining length; the first failure sticks.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
    bool ok() const { return error_.empty(); }
    bool at_end() const { return pos_ == in_.size(); }
    const std::string& error() const { return error_; }

    std::uint8_t byte() {
        if (!need(1, "truncated row")) return 0;
        return in_[pos_++];
    }
    std::uint16_t u16() {
        std::uint16_t hi = byte();
        return static_cast<std::uint16_t>((hi << 8) | byte());
    }
    std::int64_t i64() {
        std::uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | byte();
        return static_cast<std::int64_t>(u);
    }
    std::string str() {
        std::size_t n = u16();
        if (ok() && n > kMaxField) fail("field longer than " + std::to_string(kMaxField) + " bytes");
        if (!need(n, "truncated field")) return {};
        std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    std::size_t count() {
        std::size_t n = byte();
        if (ok() && n > kMaxItems) fail("list of more than " + std::to_string(kMaxItems) + " items");
        return ok() ? n : 0;
    }
    std::vector<std::string> strings() {
        std::vector<std::string> list(count());
        for (auto& s : list) s = str();
        return list;
    }
    std::vector<AuthResultEntry> auth() {
        std::vector<AuthResultEntry> list(count());
        for (auto& a : list) {
            a.domain = str();
            a.selector = str();
            a.scope = str();
            a.result = str();
        }
        return list;
    }
    void fail(std::string message) {
        if (error_.empty()) error_ = std::move(message);
    }

private:
    bool need(std::size_t n, const char* what) {
        if (!ok()) return false;
        if (in_.size() - pos_ < n) {
            fail(what);
            return false;
        }
        return true;
    }
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
    std::string error_;
};

constexpr std::uint8_t kFlagIsReport = 0x01;

}  // namespace

std::vector<std::uint8_t> encode(const Evaluation& e) {
    Writer w;
    w.byte(kRecordVersion);
    w.i64(e.time);
    w.str(e.source_ip);
    w.str(e.header_from);
    w.str(e.envelope_from_domain);
    w.strings(e.envelope_to_domains);
    w.auth(e.spf);
    w.auth(e.dkim);
    const PublishedPolicy& p = e.policy;
    w.str(p.domain);
    w.str(p.p);
    w.str(p.sp);
    w.str(p.np);
    w.str(p.adkim);
    w.str(p.aspf);
    w.byte(static_cast<std::uint8_t>(std::clamp(p.pct, 0, 100)));
    w.str(p.t);
    w.str(p.psd);
    w.strings(p.rua);
    w.str(e.dmarc_spf);
    w.str(e.dmarc_dkim);
    w.str(e.disposition);
    w.strings(e.reasons);
    w.byte(e.is_report ? kFlagIsReport : 0);
    return w.take();
}

Decoded decode(std::span<const std::uint8_t> row) {
    Decoded out;
    if (row.size() > kMaxRecord) {
        out.error = "row longer than " + std::to_string(kMaxRecord) + " bytes";
        return out;
    }
    Reader r(row);
    std::uint8_t version = r.byte();
    if (r.ok() && version != kRecordVersion) {
        out.error = "unknown record version " + std::to_string(version);
        return out;
    }
    Evaluation e;
    e.time = r.i64();
    e.source_ip = r.str();
    e.header_from = r.str();
    e.envelope_from_domain = r.str();
    e.envelope_to_domains = r.strings();
    e.spf = r.auth();
    e.dkim = r.auth();
    PublishedPolicy& p = e.policy;
    p.domain = r.str();
    p.p = r.str();
    p.sp = r.str();
    p.np = r.str();
    p.adkim = r.str();
    p.aspf = r.str();
    p.pct = r.byte();
    if (r.ok() && p.pct > 100) r.fail("pct above 100");
    p.t = r.str();
    p.psd = r.str();
    p.rua = r.strings();
    e.dmarc_spf = r.str();
    e.dmarc_dkim = r.str();
    e.disposition = r.str();
    e.reasons = r.strings();
    std::uint8_t flags = r.byte();
    if (r.ok() && (flags & ~kFlagIsReport) != 0) r.fail("unknown flags");
    e.is_report = (flags & kFlagIsReport) != 0;
    if (r.ok() && !r.at_end()) r.fail("trailing bytes");
    if (!r.ok()) {
        out.error = r.error();
        return out;
    }
    out.evaluation = std::move(e);
    return out;
}

}  // namespace report
