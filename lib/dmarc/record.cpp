// record: DMARC record parser; see record.h for the rules and choices.
#include "dmarc/record.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

#include "domain.h"

namespace dmarc {
namespace {

constexpr std::string_view kVersion = "DMARC1";

bool is_wsp(char c) { return c == ' ' || c == '\t'; }  // RFC 5234 B.1 WSP
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view trim_wsp(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// Splits on `sep`, trimming WSP around every piece (RFC 7489 §6.4 allows
// *WSP around "," in URI lists and around ":" in fo/rf lists).
std::vector<std::string_view> split_list(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = s.find(sep, start);
        out.push_back(trim_wsp(s.substr(start, end == std::string_view::npos ? end : end - start)));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

// A parsed value or the reason it is not one.
template <typename T>
struct Parsed {
    std::optional<T> value;
    std::string error;
};

template <typename T>
Parsed<T> bad(std::string message) {
    return Parsed<T>{std::nullopt, std::move(message)};
}

// RFC 7489 §6.4: dmarc-request = "none" / "quarantine" / "reject"
// (quoted strings: case-insensitive, RFC 5234 §2.3).
Parsed<Policy> parse_policy(std::string_view tag, std::string_view v) {
    std::string l = domain::lower(v);
    if (l == "none") return {Policy::None, {}};
    if (l == "quarantine") return {Policy::Quarantine, {}};
    if (l == "reject") return {Policy::Reject, {}};
    return bad<Policy>("invalid " + std::string(tag) + " value \"" + std::string(v) + "\"");
}

// RFC 7489 §6.4: dmarc-adkim / dmarc-aspf = "r" / "s".
Parsed<Alignment> parse_alignment(std::string_view tag, std::string_view v) {
    std::string l = domain::lower(v);
    if (l == "r") return {Alignment::Relaxed, {}};
    if (l == "s") return {Alignment::Strict, {}};
    return bad<Alignment>("invalid " + std::string(tag) + " value \"" + std::string(v) + "\" (r or s)");
}

std::optional<std::uint64_t> parse_uint(std::string_view v, std::size_t max_digits) {
    if (v.empty() || v.size() > max_digits || !std::all_of(v.begin(), v.end(), is_digit)) return std::nullopt;
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
    return n;
}

// RFC 7489 §6.4: dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT, 0..100 (§6.3).
Parsed<int> parse_pct(std::string_view v) {
    auto n = parse_uint(v, 3);
    if (!n || *n > 100) return bad<int>("invalid pct value \"" + std::string(v) + "\" (0-100)");
    return {static_cast<int>(*n), {}};
}

// RFC 7489 §6.4: dmarc-ainterval = "ri" *WSP "=" *WSP 1*DIGIT (a 32-bit
// unsigned integer, §6.3).
Parsed<std::uint32_t> parse_ri(std::string_view v) {
    auto n = parse_uint(v, 10);
    if (!n || *n > std::numeric_limits<std::uint32_t>::max())
        return bad<std::uint32_t>("invalid ri value \"" + std::string(v) + "\"");
    return {static_cast<std::uint32_t>(*n), {}};
}

// RFC 7489 §6.4: dmarc-fo = "fo" *WSP "=" *WSP ( "0" / "1" / "d" / "s" )
//                *(*WSP ":" *WSP ( "0" / "1" / "d" / "s" ) )
Parsed<std::vector<std::string>> parse_fo(std::string_view v) {
    std::vector<std::string> out;
    for (auto item : split_list(v, ':')) {
        std::string l = domain::lower(item);
        if (l != "0" && l != "1" && l != "d" && l != "s")
            return bad<std::vector<std::string>>("invalid fo value \"" + std::string(v) + "\" (0, 1, d, s)");
        out.push_back(l);
    }
    return {out, {}};
}

// RFC 7489 §6.4: dmarc-rfmt = "rf" *WSP "=" *WSP Keyword *(*WSP ":" Keyword);
// Keyword = Ldh-str (RFC 5321 §4.1.2).
Parsed<std::vector<std::string>> parse_rf(std::string_view v) {
    std::vector<std::string> out;
    for (auto item : split_list(v, ':')) {
        bool ok = !item.empty() && item.front() != '-' && item.back() != '-' &&
                  std::all_of(item.begin(), item.end(),
                              [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
        if (!ok) return bad<std::vector<std::string>>("invalid rf value \"" + std::string(v) + "\"");
        out.push_back(domain::lower(item));
    }
    return {out, {}};
}

// RFC 3986 §3.1 scheme ":" followed by URI characters (§2); "!", "," and ";"
// must be percent-encoded inside a DMARC URI (RFC 7489 §6.2).
bool valid_uri(std::string_view u) {
    auto colon = u.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == u.size() || !is_alpha(u[0])) return false;
    for (char c : u.substr(0, colon))
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    constexpr std::string_view kAllowed = "-._~:/?#[]@$&'()*+=";
    for (std::size_t i = colon + 1; i < u.size(); ++i) {
        char c = u[i];
        if (c == '%') {
            if (i + 2 >= u.size() || !is_hex(u[i + 1]) || !is_hex(u[i + 2])) return false;
            i += 2;
        } else if (!is_alpha(c) && !is_digit(c) && kAllowed.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

// RFC 7489 §6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ];
// the units are powers of two (§6.2).
Parsed<ReportUri> parse_uri(std::string_view item) {
    ReportUri out;
    auto bang = item.find('!');
    std::string_view uri = item.substr(0, bang);
    if (!valid_uri(uri)) return bad<ReportUri>("invalid URI \"" + std::string(item) + "\"");
    out.uri = std::string(uri);
    if (bang == std::string_view::npos) return {out, {}};
    std::string_view size = item.substr(bang + 1);
    int shift = 0;
    if (!size.empty() && is_alpha(size.back())) {
        switch (size.back() | 0x20) {
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        case 't': shift = 40; break;
        default: return bad<ReportUri>("invalid size unit in \"" + std::string(item) + "\"");
        }
        size.remove_suffix(1);
    }
    auto n = parse_uint(size, 20);
    if (!n || *n > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return bad<ReportUri>("invalid size limit in \"" + std::string(item) + "\"");
    out.max_size_bytes = *n << shift;
    return {out, {}};
}

// RFC 7489 §6.4: dmarc-auri / dmarc-furi: dmarc-uri *(*WSP "," *WSP dmarc-uri).
// A URI with a syntax error is dropped, the others kept (RFC 7489 §6.3: errors
// in the remainder are ignored; §6.6.3 asks for "at least one syntactically
// valid reporting URI"). Beyond kMaxUris the rest is dropped.
std::vector<ReportUri> parse_uri_list(std::string_view tag, std::string_view v, std::vector<std::string>& warnings) {
    std::vector<ReportUri> out;
    for (auto item : split_list(v, ',')) {
        auto u = parse_uri(item);
        if (!u.value) {
            warnings.push_back(std::string(tag) + ": " + u.error + " ignored");
        } else if (out.size() == kMaxUris) {
            warnings.push_back(std::string(tag) + ": more than " + std::to_string(kMaxUris) + " URIs, the rest ignored");
            break;
        } else {
            out.push_back(std::move(*u.value));
        }
    }
    return out;
}

// RFC 9989 §4.7: psd = "y" / "n" / "u"; t = "y" / "n".
Parsed<char> parse_flag(std::string_view tag, std::string_view v, std::string_view allowed) {
    std::string l = domain::lower(v);
    if (l.size() == 1 && allowed.find(l[0]) != std::string_view::npos) return {l[0], {}};
    return bad<char>("invalid " + std::string(tag) + " value \"" + std::string(v) + "\"");
}

// One tag-spec: tag-name *WSP "=" *WSP tag-value (RFC 6376 §3.2, which
// RFC 7489 §6.3 adopts); tag-name = ALPHA *ALNUMPUNC.
struct TagSpec {
    std::string name;  // lowercase
    std::string_view value;
};

std::optional<TagSpec> split_tag(std::string_view spec) {
    std::size_t i = 0;
    if (spec.empty() || !is_alpha(spec[0])) return std::nullopt;
    while (i < spec.size() && (is_alpha(spec[i]) || is_digit(spec[i]) || spec[i] == '_')) ++i;
    std::string name = domain::lower(spec.substr(0, i));
    while (i < spec.size() && is_wsp(spec[i])) ++i;
    if (i >= spec.size() || spec[i] != '=') return std::nullopt;
    return TagSpec{name, trim_wsp(spec.substr(i + 1))};
}

// The tag-specs between ";" separators, WSP trimmed (RFC 7489 §6.4
// dmarc-sep = *WSP ";" *WSP). One empty piece at the end is the optional
// trailing separator; other empty pieces are counted in `empty`.
std::vector<std::string_view> split_specs(std::string_view txt, int& empty) {
    auto pieces = split_list(txt, ';');
    if (pieces.size() > 1 && pieces.back().empty()) pieces.pop_back();
    std::vector<std::string_view> out;
    for (auto p : pieces) {
        if (p.empty()) ++empty;
        else out.push_back(p);
    }
    return out;
}

// RFC 7489 §6.6.3 step 2: records that do not start with a "v=" tag naming
// DMARC1 are not DMARC records. The version value is case-sensitive
// (RFC 7489 §6.4: %x44 %x4d %x41 %x52 %x43 %x31).
bool starts_with_version(std::string_view first_spec) {
    auto tag = split_tag(first_spec);
    if (!tag || tag->name != "v") return false;
    std::string_view v = tag->value;
    return v.substr(0, kVersion.size()) == kVersion && (v.size() == kVersion.size() || is_wsp(v[kVersion.size()]));
}

// Everything parsed from the tags, before the policy fallback is decided.
struct Collected {
    Record record;
    std::vector<std::string> warnings;
    std::string policy_error;  // a bad p, sp or np value
    bool has_p = false;
    bool has_valid_rua = false;
};

// RFC 7489 §6.3, RFC 9989 §4.7: a syntax error in the remainder of the
// record is discarded in favour of the default value.
template <typename T>
void take(Parsed<T> parsed, T& field, std::vector<std::string>& warnings) {
    if (parsed.value) field = std::move(*parsed.value);
    else warnings.push_back(parsed.error + ", default used");
}

void apply_policy_tag(const TagSpec& tag, Collected& c) {
    auto parsed = parse_policy(tag.name, tag.value);
    if (!parsed.value) {
        if (c.policy_error.empty()) c.policy_error = parsed.error;
        return;
    }
    Record& r = c.record;
    if (tag.name == "p") { r.p = *parsed.value; r.p_explicit = true; c.has_p = true; }
    if (tag.name == "sp") { r.sp = *parsed.value; r.sp_explicit = true; }
    if (tag.name == "np") { r.np = *parsed.value; r.np_explicit = true; }
}

void apply_tag(const TagSpec& tag, Collected& c) {
    Record& r = c.record;
    auto& w = c.warnings;
    const auto& n = tag.name;
    const auto v = tag.value;
    if (n == "p" || n == "sp" || n == "np") {
        apply_policy_tag(tag, c);
    } else if (n == "adkim") {
        take(parse_alignment(n, v), r.adkim, w);
    } else if (n == "aspf") {
        take(parse_alignment(n, v), r.aspf, w);
    } else if (n == "pct") {
        take(parse_pct(v), r.pct, w);
    } else if (n == "fo") {
        take(parse_fo(v), r.fo, w);
    } else if (n == "rf") {
        take(parse_rf(v), r.rf, w);
    } else if (n == "ri") {
        auto ri = parse_ri(v);
        r.ri_explicit = ri.value.has_value();
        take(std::move(ri), r.ri, w);
    } else if (n == "rua") {
        r.rua = parse_uri_list(n, v, w);
        c.has_valid_rua = !r.rua.empty();
    } else if (n == "ruf") {
        r.ruf = parse_uri_list(n, v, w);
    } else if (n == "psd") {
        take(parse_flag(n, v, "ynu"), r.psd, w);
    } else if (n == "t") {
        char t = 'n';
        take(parse_flag(n, v, "yn"), t, w);
        r.testing = t == 'y';
    }
    // RFC 7489 §6.3, RFC 9989 §4.7: unknown tags MUST be ignored.
}

// RFC 7489 §6.3: sp defaults to p; RFC 9989 §4.7: np defaults to sp.
void apply_policy_defaults(Record& r) {
    if (!r.sp_explicit) r.sp = r.p;
    if (!r.np_explicit) r.np = r.sp;
}

}  // namespace

std::string_view alignment_name(Alignment a) { return a == Alignment::Strict ? "s" : "r"; }

RecordParse parse_record(std::string_view txt) {
    RecordParse out;
    // RFC 6376 §3.2 (adopted by RFC 7489 §6.3): white space before a tag-spec.
    std::string_view body = trim_wsp(txt);
    out.is_dmarc = starts_with_version(body.substr(0, body.find(';')));
    if (!out.is_dmarc) {
        out.error = "not a DMARC record (does not start with v=DMARC1)";
        return out;
    }
    if (txt.size() > kMaxRecordLength) {
        out.error = "record longer than " + std::to_string(kMaxRecordLength) + " octets";
        return out;
    }
    int empty = 0;
    auto specs = split_specs(body, empty);
    Collected c;
    // RFC 7489 §6.4 allows one separator between tags; an empty tag is a
    // syntax error in the remainder, ignored (RFC 7489 §6.3).
    if (empty) c.warnings.push_back("empty tag (\";;\") ignored");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        auto tag = split_tag(specs[i]);
        if (!tag) {
            c.warnings.push_back("malformed tag \"" + std::string(specs[i]) + "\" ignored (expected name=value)");
            continue;
        }
        // RFC 6376 §3.2 (the tag-list RFC 7489 §6.3 adopts): a duplicate tag
        // name invalidates the whole record.
        if (!seen.insert(tag->name).second) {
            out.error = "duplicate tag \"" + tag->name + "\"";
            return out;
        }
        if (i == 0) {
            if (tag->value != kVersion) {
                out.error = "v=DMARC1 must be followed by \";\"";
                return out;
            }
            continue;
        }
        // RFC 7489 §6.3 wants p right after v; RFC 9989 §4.7 no longer does.
        if (tag->name == "p" && i != 1) c.warnings.push_back("p is not the tag right after v (RFC 7489 §6.3)");
        apply_tag(*tag, c);
    }
    out.warnings = std::move(c.warnings);
    if (!c.has_p || !c.policy_error.empty()) {
        // RFC 7489 §6.6.3, RFC 9989 §4.10.1: no valid p (or a bad sp/np) but
        // a valid rua: act as if the record said p=none. Without a valid rua
        // the record gets no DMARC processing: reported as permerror.
        if (!c.has_valid_rua) {
            out.error = c.policy_error.empty() ? "no p tag (and no valid rua)" : c.policy_error;
            return out;
        }
        out.warnings.push_back((c.policy_error.empty() ? std::string("no p tag") : c.policy_error) +
                               ", but a valid rua: treated as p=none");
        c.record.p = c.record.sp = c.record.np = Policy::None;
        c.record.p_explicit = c.record.sp_explicit = c.record.np_explicit = false;
    }
    apply_policy_defaults(c.record);
    out.valid = true;
    out.record = std::move(c.record);
    return out;
}

}  // namespace dmarc
