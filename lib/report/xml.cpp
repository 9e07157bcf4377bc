// xml: see xml.h.
#include "report/xml.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string_view>

namespace report {
namespace {

constexpr std::array kSpfResults = {"none", "neutral", "pass", "fail", "softfail", "temperror",
                                    "permerror"};
constexpr std::array kDkimResults = {"none", "pass", "fail", "policy", "neutral", "temperror",
                                     "permerror"};
constexpr std::array kOverrideTypes = {"local_policy", "mailing_list", "other", "policy_test_mode",
                                       "trusted_forwarder"};

template <std::size_t N>
bool one_of(std::string_view value, const std::array<const char*, N>& set) {
    for (const char* s : set)
        if (value == s) return true;
    return false;
}

// RFC 8601 §2.7.2 names; older spellings (RFC 4408 "error"/"unknown",
// "hardfail") map to the current ones.
std::string spf_result(const std::string& r) {
    if (one_of(r, kSpfResults)) return r;
    if (r == "hardfail") return "fail";
    if (r == "error") return "temperror";
    return "permerror";
}

std::string dkim_result(const std::string& r) {
    if (one_of(r, kDkimResults)) return r;
    if (r == "hardfail") return "fail";
    return "permerror";
}

class Out {
public:
    void open(std::string_view name) { indent(); text_ += "<" + std::string(name) + ">\n"; ++depth_; }
    void close(std::string_view name) { --depth_; indent(); text_ += "</" + std::string(name) + ">\n"; }
    void leaf(std::string_view name, std::string_view value) {
        indent();
        text_ += "<" + std::string(name) + ">" + xml_escape(value) + "</" + std::string(name) + ">\n";
    }
    void leaf_if(std::string_view name, std::string_view value) {
        if (!value.empty()) leaf(name, value);
    }
    std::string& text() { return text_; }

private:
    void indent() { text_.append(static_cast<std::size_t>(depth_) * 2, ' '); }
    std::string text_;
    int depth_ = 0;
};

void metadata_xml(Out& o, const Report& r, const Metadata& m) {
    o.open("report_metadata");
    o.leaf("org_name", m.org_name);
    o.leaf("email", m.email);
    o.leaf("report_id", m.report_id);
    o.open("date_range");
    o.leaf("begin", std::to_string(r.period.begin));
    o.leaf("end", std::to_string(r.period.end - 1));  // the last second covered
    o.close("date_range");
    if (r.rows_dropped > 0)
        o.leaf("error", std::to_string(r.rows_dropped) + " rows left out (report size limit)");
    o.close("report_metadata");
}

void policy_xml(Out& o, const Report& r, const Metadata& m) {
    const PublishedPolicy& p = r.policy;
    o.open("policy_published");
    o.leaf("domain", r.policy_domain);
    std::string requested = p.p.empty() ? "none" : p.p;
    o.leaf("p", requested);
    // RFC 9990 §2.1 (policy_published): the elements from p on carry the
    // discovered or default value, and sp defaults to p (RFC 7489 §6.3).
    // Always written: the schema texts differ on whether sp may be absent.
    o.leaf("sp", p.sp.empty() ? requested : p.sp);
    o.leaf_if("np", p.np);
    o.leaf_if("adkim", p.adkim);
    o.leaf_if("aspf", p.aspf);
    o.leaf_if("discovery_method", m.discovery_method);
    o.leaf_if("testing", p.t);
    o.close("policy_published");
}

void row_xml(Out& o, const Row& row) {
    o.open("record");
    o.open("row");
    o.leaf("source_ip", row.source_ip);
    o.leaf("count", std::to_string(row.count));
    o.open("policy_evaluated");
    o.leaf("disposition", row.disposition);
    o.leaf("dkim", row.dmarc_dkim);
    o.leaf("spf", row.dmarc_spf);
    for (const auto& reason : row.reasons) {
        o.open("reason");
        bool known = one_of(reason, kOverrideTypes);
        o.leaf("type", known ? reason : "other");
        if (!known) o.leaf("comment", reason);
        o.close("reason");
    }
    o.close("policy_evaluated");
    o.close("row");
    o.open("identifiers");
    o.leaf_if("envelope_to", row.envelope_to);
    o.leaf("envelope_from", row.envelope_from);
    o.leaf("header_from", row.header_from);
    o.close("identifiers");
    o.open("auth_results");
    for (const auto& d : row.dkim) {
        o.open("dkim");
        o.leaf("domain", d.domain);
        o.leaf("selector", d.selector);
        o.leaf("result", dkim_result(d.result));
        o.close("dkim");
    }
    // RFC 9990 §2.1 (auth_results, spf): at most one SPF result, of the
    // MAIL FROM identity, the only one DMARC uses (scope "mfrom" the only
    // valid value). A HELO result is left out; without a MAIL FROM result
    // the element says "none" for the envelope-from domain.
    AuthResultEntry spf{row.envelope_from, "", "mfrom", "none"};
    auto mfrom = std::find_if(row.spf.begin(), row.spf.end(),
                              [](const AuthResultEntry& s) { return s.scope != "helo"; });
    if (mfrom != row.spf.end()) spf = {mfrom->domain, "", "mfrom", mfrom->result};
    o.open("spf");
    o.leaf("domain", spf.domain);
    o.leaf("scope", spf.scope);
    o.leaf("result", spf_result(spf.result));
    o.close("spf");
    o.close("auth_results");
    o.close("record");
}

struct DeflateEnd { void operator()(z_stream* z) const { deflateEnd(z); delete z; } };
struct InflateEnd { void operator()(z_stream* z) const { inflateEnd(z); delete z; } };

}  // namespace

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            // XML 1.0 §2.2: only TAB, LF, CR among the C0 controls.
            if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
            out += c;
        }
    }
    return out;
}

std::string render_xml(const Report& report, const Metadata& metadata) {
    Out o;
    o.text() = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    o.text() += "<feedback xmlns=\"" + std::string(kNamespace) + "\">\n";
    o.leaf("version", "1.0");
    metadata_xml(o, report, metadata);
    policy_xml(o, report, metadata);
    for (const auto& row : report.rows) row_xml(o, row);
    o.text() += "</feedback>\n";
    return std::move(o.text());
}

std::vector<std::uint8_t> gzip(std::string_view data) {
    std::unique_ptr<z_stream, DeflateEnd> z(new z_stream{});
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    // On failure the stream has no state and deflateEnd() only frees `z`.
    if (deflateInit2(z.get(), Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::vector<std::uint8_t> out(deflateBound(z.get(), data.size()) + 32);
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z->avail_in = static_cast<uInt>(data.size());
    z->next_out = out.data();
    z->avail_out = static_cast<uInt>(out.size());
    if (deflate(z.get(), Z_FINISH) != Z_STREAM_END) return {};
    out.resize(z->total_out);
    return out;
}

std::optional<std::string> gunzip(const std::vector<std::uint8_t>& data, std::size_t max_size) {
    std::unique_ptr<z_stream, InflateEnd> z(new z_stream{});
    if (inflateInit2(z.get(), 15 + 16) != Z_OK) return std::nullopt;
    z->next_in = const_cast<Bytef*>(data.data());
    z->avail_in = static_cast<uInt>(data.size());
    std::string out;
    std::array<char, 16384> buffer;
    for (;;) {
        z->next_out = reinterpret_cast<Bytef*>(buffer.data());
        z->avail_out = buffer.size();
        int rc = inflate(z.get(), Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) return std::nullopt;
        out.append(buffer.data(), buffer.size() - z->avail_out);
        if (out.size() > max_size) return std::nullopt;
        if (rc == Z_STREAM_END) return z->avail_in == 0 ? std::optional(out) : std::nullopt;
        if (z->avail_in == 0 && z->avail_out != 0) return std::nullopt;  // truncated
    }
}

}  // namespace report
