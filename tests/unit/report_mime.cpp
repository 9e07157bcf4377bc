// report_mime: see report_mime.h.
#include "report_mime.h"

#include <algorithm>
#include <cctype>

namespace testing {
namespace {

std::string without_cr(const std::string& raw) {
    std::string s;
    s.reserve(raw.size());
    for (char c : raw)
        if (c != '\r') s += c;
    return s;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string MimeEntity::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

MimeEntity parse_entity(const std::string& raw) {
    MimeEntity e;
    std::string s = without_cr(raw);
    auto split = s.find("\n\n");
    std::string head = split == std::string::npos ? s : s.substr(0, split);
    e.body = split == std::string::npos ? "" : s.substr(split + 2);
    std::string name, value;
    auto flush = [&] {
        if (!name.empty()) e.headers.emplace(lower(name), trim(value));
        name.clear();
        value.clear();
    };
    std::size_t pos = 0;
    while (pos < head.size()) {
        auto nl = head.find('\n', pos);
        std::string line = head.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? head.size() : nl + 1;
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            value += " " + trim(line);  // RFC 5322 §2.2.3 unfolding
            continue;
        }
        flush();
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        name = line.substr(0, colon);
        value = line.substr(colon + 1);
    }
    flush();
    return e;
}

std::string header_parameter(const std::string& value, const std::string& name) {
    std::string v = value;
    std::string key = lower(name) + "=";
    std::size_t pos = 0;
    while ((pos = lower(v).find(key, pos)) != std::string::npos) {
        if (pos == 0 || v[pos - 1] == ';' || v[pos - 1] == ' ' || v[pos - 1] == '\t') break;
        ++pos;
    }
    if (pos == std::string::npos) return "";
    std::string rest = v.substr(pos + key.size());
    if (!rest.empty() && rest[0] == '"') {
        auto end = rest.find('"', 1);
        return rest.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    }
    auto end = rest.find(';');
    return trim(rest.substr(0, end));
}

MimeMessage parse_mime(const std::string& raw) {
    MimeMessage m;
    m.top = parse_entity(raw);
    std::string boundary = header_parameter(m.top.header("content-type"), "boundary");
    if (boundary.empty()) {
        m.error = "no boundary";
        return m;
    }
    std::string body = "\n" + m.top.body;
    std::string delimiter = "\n--" + boundary;
    auto pos = body.find(delimiter);
    if (pos == std::string::npos) {
        m.error = "no first boundary";
        return m;
    }
    for (;;) {
        pos += delimiter.size();
        if (body.compare(pos, 2, "--") == 0) return m;  // close delimiter
        auto line_end = body.find('\n', pos);
        auto next = body.find(delimiter, pos);
        if (line_end == std::string::npos || next == std::string::npos) {
            m.error = "no close delimiter";
            return m;
        }
        m.parts.push_back(parse_entity(body.substr(line_end + 1, next - line_end - 1)));
        pos = next;
    }
}

std::optional<std::vector<std::uint8_t>> base64_decode(const std::string& text) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string clean;
    for (char c : text)
        if (c != '\n' && c != '\r') clean += c;
    if (clean.size() % 4 != 0) return std::nullopt;
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < clean.size(); i += 4) {
        std::uint32_t n = 0;
        int pad = 0;
        for (int j = 0; j < 4; ++j) {
            char c = clean[i + j];
            if (c == '=') {
                if (i + 4 != clean.size() || j < 2) return std::nullopt;
                ++pad;
                n <<= 6;
                continue;
            }
            if (pad > 0) return std::nullopt;
            auto k = kAlphabet.find(c);
            if (k == std::string::npos) return std::nullopt;
            n = (n << 6) | static_cast<std::uint32_t>(k);
        }
        out.push_back(static_cast<std::uint8_t>(n >> 16));
        if (pad < 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
        if (pad < 1) out.push_back(static_cast<std::uint8_t>(n));
    }
    return out;
}

}  // namespace testing
