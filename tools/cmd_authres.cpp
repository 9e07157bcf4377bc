// mtaguard authres parse [--json] HEADER_VALUE: parse an
// Authentication-Results header field value (RFC 8601 §2.2) and print what
// mtaguard-milter would read from it. A leading "Authentication-Results:"
// field name is accepted and skipped. Exit 0 valid, 1 syntax error,
// 2 usage. JSON shape (DESIGN.md): {"authserv_id", "version", "results":
// [{"method", "version", "result", "reason", "props": {"ptype.property": value},
// "properties": [{"ptype","property","value"}]}], "error"}; "props" keeps the
// first value of a repeated property, as AuthResult::prop() does.
#include <iostream>

#include "command.h"
#include "domain.h"
#include "json.h"
#include "mail/authres.h"

namespace tool {
namespace {

constexpr std::string_view kFieldName = "authentication-results:";

std::string_view strip_field_name(std::string_view v) {
    if (v.size() >= kFieldName.size() && domain::lower(v.substr(0, kFieldName.size())) == kFieldName)
        v.remove_prefix(kFieldName.size());
    return v;
}

json::Value to_json(const mail::AuthResultsParse& parsed) {
    json::Value out = json::Value::object();
    json::Value results = json::Value::array();
    if (parsed.header) {
        for (const auto& r : parsed.header->results) {
            json::Value props = json::Value::object();
            json::Value properties = json::Value::array();
            for (const auto& p : r.props) {
                std::string key = p.ptype + "." + p.property;
                if (!props.has(key)) props.set(key, p.value);
                json::Value one = json::Value::object();
                one.set("ptype", p.ptype);
                one.set("property", p.property);
                one.set("value", p.value);
                properties.push(std::move(one));
            }
            json::Value item = json::Value::object();
            item.set("method", r.method);
            item.set("version", json::Value::null_if_empty(r.version));
            item.set("result", r.result);
            item.set("reason", json::Value::null_if_empty(r.reason));
            item.set("props", std::move(props));
            item.set("properties", std::move(properties));
            results.push(std::move(item));
        }
    }
    out.set("authserv_id", parsed.header ? json::Value(parsed.header->authserv_id) : json::Value());
    out.set("version", parsed.header ? json::Value::null_if_empty(parsed.header->version) : json::Value());
    out.set("results", std::move(results));
    out.set("error", parsed.header ? json::Value() : json::Value(parsed.error));
    return out;
}

void print_human(const mail::AuthResults& h) {
    std::cout << "authserv-id: " << h.authserv_id;
    if (!h.version.empty()) std::cout << " (version " << h.version << ")";
    std::cout << "\n";
    if (h.results.empty()) std::cout << "no results (none)\n";
    for (const auto& r : h.results) {
        std::cout << r.method;
        if (!r.version.empty()) std::cout << "/" << r.version;
        std::cout << "=" << r.result << "\n";
        if (!r.reason.empty()) std::cout << "  reason: " << r.reason << "\n";
        for (const auto& p : r.props)
            std::cout << "  " << p.ptype << "." << p.property << " = " << p.value << "\n";
    }
}

}  // namespace

int cmd_authres(const Context&, Args args) {
    if (args.empty() || args[0] != "parse") return usage_error("usage: mtaguard authres parse [--json] HEADER_VALUE");
    Operands o = split_json(args.subspan(1));
    if (o.rest.size() > 1) return usage_error("authres parse: one HEADER_VALUE expected");
    if (o.rest.empty()) return usage_error("authres parse: HEADER_VALUE missing");
    auto parsed = mail::parse_authentication_results(strip_field_name(o.rest[0]));
    if (o.json) {
        std::cout << to_json(parsed).dump() << "\n";
    } else if (parsed.header) {
        print_human(*parsed.header);
    }
    if (!parsed.header) {
        std::cerr << "mtaguard: authres parse: " << parsed.error << "\n";
        return kExitNegative;
    }
    return kExitOk;
}

}  // namespace tool
