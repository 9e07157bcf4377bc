// record: see record.h for the layout and limits.
#include "report/record.h"

#include <algorithm>

#include "binary.h"

namespace report {
namespace {

void write_strings(binary::Writer& w, const std::vector<std::string>& list) {
    std::size_t n = w.count8(list.size(), kMaxItems);
    for (std::size_t i = 0; i < n; ++i) w.str(list[i], kMaxField);
}

void write_auth(binary::Writer& w, const std::vector<AuthResultEntry>& list) {
    std::size_t n = w.count8(list.size(), kMaxItems);
    for (std::size_t i = 0; i < n; ++i)
        for (const auto* f : {&list[i].domain, &list[i].selector, &list[i].scope, &list[i].result})
            w.str(*f, kMaxField);
}

std::string read_str(binary::Reader& r, const char* what) { return r.str(kMaxField, what); }

std::vector<std::string> read_strings(binary::Reader& r, const char* what) {
    std::vector<std::string> list(r.count8(kMaxItems, what));
    for (auto& s : list) s = read_str(r, what);
    return list;
}

std::vector<AuthResultEntry> read_auth(binary::Reader& r, const char* what) {
    std::vector<AuthResultEntry> list(r.count8(kMaxItems, what));
    for (auto& a : list)
        for (auto* f : {&a.domain, &a.selector, &a.scope, &a.result}) *f = read_str(r, what);
    return list;
}

constexpr std::uint8_t kFlagIsReport = 0x01;

}  // namespace

std::vector<std::uint8_t> encode(const Evaluation& e) {
    binary::Writer w;
    w.u8(kRecordVersion);
    w.i64(e.time);
    for (const auto* f : {&e.source_ip, &e.header_from, &e.envelope_from_domain}) w.str(*f, kMaxField);
    write_strings(w, e.envelope_to_domains);
    write_auth(w, e.spf);
    write_auth(w, e.dkim);
    const PublishedPolicy& p = e.policy;
    for (const auto* f : {&p.domain, &p.p, &p.sp, &p.np, &p.adkim, &p.aspf}) w.str(*f, kMaxField);
    w.u8(static_cast<std::uint8_t>(std::clamp(p.pct, 0, 100)));
    w.str(p.t, kMaxField);
    w.str(p.psd, kMaxField);
    write_strings(w, p.rua);
    // Version 2: ri as published (RFC 7489 §6.3), when it was.
    w.u8(p.ri ? 1 : 0);
    if (p.ri) w.u32(*p.ri);
    for (const auto* f : {&e.dmarc_spf, &e.dmarc_dkim, &e.disposition}) w.str(*f, kMaxField);
    write_strings(w, e.reasons);
    w.u8(e.is_report ? kFlagIsReport : 0);
    return w.take_bytes();
}

Decoded decode(std::span<const std::uint8_t> row) {
    Decoded out;
    if (row.size() > kMaxRecord) {
        out.error = "row longer than " + std::to_string(kMaxRecord) + " bytes";
        return out;
    }
    binary::Reader r(row);
    std::uint8_t version = r.u8("version");
    if (r.ok() && (version < kOldestRecordVersion || version > kRecordVersion)) {
        out.error = "unknown record version " + std::to_string(version);
        return out;
    }
    Evaluation e;
    e.time = r.i64("time");
    e.source_ip = read_str(r, "source_ip");
    e.header_from = read_str(r, "header_from");
    e.envelope_from_domain = read_str(r, "envelope_from");
    e.envelope_to_domains = read_strings(r, "envelope_to");
    e.spf = read_auth(r, "spf");
    e.dkim = read_auth(r, "dkim");
    PublishedPolicy& p = e.policy;
    for (auto* f : {&p.domain, &p.p, &p.sp, &p.np, &p.adkim, &p.aspf}) *f = read_str(r, "policy");
    p.pct = r.u8("pct");
    if (r.ok() && p.pct > 100) r.fail("pct above 100");
    p.t = read_str(r, "t");
    p.psd = read_str(r, "psd");
    p.rua = read_strings(r, "rua");
    if (version >= 2) {
        std::uint8_t has_ri = r.u8("ri");
        if (has_ri > 1) r.fail("bad ri presence byte");
        if (has_ri == 1) p.ri = r.u32("ri");
    }
    e.dmarc_spf = read_str(r, "dmarc_spf");
    e.dmarc_dkim = read_str(r, "dmarc_dkim");
    e.disposition = read_str(r, "disposition");
    e.reasons = read_strings(r, "reasons");
    std::uint8_t flags = r.u8("flags");
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
