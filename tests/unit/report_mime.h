// report_mime: reads a report message back for the tests: header fields
// (unfolded, names lowercased), multipart/mixed parts, strict base64 decode.
// Accepts LF or CRLF line ends (Postfix's Maildir delivery writes LF).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace testing {

struct MimeEntity {
    std::multimap<std::string, std::string> headers;  // lowercase name -> unfolded value
    std::string body;
    std::string header(const std::string& name) const;  // first, or ""
    std::size_t count(const std::string& name) const { return headers.count(name); }
};

struct MimeMessage {
    MimeEntity top;
    std::vector<MimeEntity> parts;
    std::string error;
};

MimeEntity parse_entity(const std::string& raw);
MimeMessage parse_mime(const std::string& raw);
// The value of parameter `name` of a structured header value, quotes removed.
std::string header_parameter(const std::string& value, const std::string& name);
std::optional<std::vector<std::uint8_t>> base64_decode(const std::string& text);

}  // namespace testing
