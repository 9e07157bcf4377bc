// xml: an aggregate report as an RFC 9990 XML document (Appendix A schema,
// namespace urn:ietf:params:xml:ns:dmarc-2.0), and its gzip compression
// (RFC 1952, via zlib).
//
// Every value is XML-escaped (& < > " ' and control characters refused by
// XML 1.0 are dropped). Values outside the schema's enumerations are mapped
// to schema values: SPF/DKIM results to the RFC 8601 §2.7 names the schema
// lists, override reasons not in PolicyOverrideType to "other" with the
// original word as comment. Every auth_results gets exactly one spf element,
// of the MAIL FROM identity (RFC 9990 §2.1: the only one DMARC uses; the
// schema allows at most one): the first recorded result that is not a HELO
// one, else SPF result "none" for the envelope-from domain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/aggregate.h"

namespace report {

inline constexpr const char* kNamespace = "urn:ietf:params:xml:ns:dmarc-2.0";

struct Metadata {
    std::string org_name;
    std::string email;
    std::string report_id;          // alphanumeric (RFC 9990 §2.4 unique-id)
    std::string discovery_method;   // "treewalk" or "psl"; "" omits the element
};

std::string render_xml(const Report& report, const Metadata& metadata);
std::string xml_escape(std::string_view text);

// gzip (RFC 1952) of `data`; empty on a zlib failure.
std::vector<std::uint8_t> gzip(std::string_view data);
// For tests and `report dump`: inflates a gzip stream; nullopt when invalid
// or larger than max_size.
std::optional<std::string> gunzip(const std::vector<std::uint8_t>& data, std::size_t max_size);

}  // namespace report
