// mtaguard sts: MTA-STS from the command line (RFC 8461).
//
//   sts parse-record [--json] TXT          the _mta-sts TXT record (§3.1)
//   sts parse-policy [--json] [FILE|-]     a policy file (§3.2), stdin by default
//   sts lookup [--json] DOMAIN             live DNS + HTTPS fetch, no cache
//
// Exit statuses (DESIGN.md): 0 valid / found, 1 invalid / no policy / a
// definite fetch failure, 2 usage or configuration error, 75 temporary
// failure (DNS SERVFAIL or timeout, or a fetch that may succeed later).
// Other `sts` subcommands (answer, ...) add a row to kStsCommands and define
// their function in their own tools/cmd_sts_*.cpp, declared in command.h.
#include <fstream>
#include <iostream>

#include "sts_json.h"
#include "command.h"
#include "dns.h"
#include "domain.h"
#include "json.h"
#include "sts/fetch.h"
#include "sts/policy.h"

namespace tool {
namespace {

struct StsCommand {
    std::string_view name;
    int (*run)(const Context&, Args);
    std::string_view synopsis;
};

int sts_parse_record(const Context&, Args args);
int sts_parse_policy(const Context&, Args args);
int sts_lookup(const Context&, Args args);

constexpr StsCommand kStsCommands[] = {
    {"parse-record", sts_parse_record, "sts parse-record [--json] TXT"},
    {"parse-policy", sts_parse_policy, "sts parse-policy [--json] [FILE|-]"},
    {"lookup", sts_lookup, "sts lookup [--json] DOMAIN"},
    {"answer", cmd_sts_answer, "sts answer [--json] KEY"},
};

void print_policy(const sts::Policy& p, const std::string& indent) {
    std::cout << indent << "version: " << p.version << "\n"
              << indent << "mode: " << sts::mode_name(p.mode) << "\n"
              << indent << "max_age: " << p.max_age << "\n";
    for (const auto& m : p.mx) std::cout << indent << "mx: " << m << "\n";
    for (const auto& [name, value] : p.extensions)
        std::cout << indent << name << ": " << value << "\n";
}

int sts_parse_record(const Context&, Args args) {
    Operands o = split_json(args);
    if (o.rest.size() != 1) return usage_error("usage: mtaguard sts parse-record [--json] TXT");
    sts::RecordParse r = sts::parse_record(o.rest[0]);
    if (o.json) {
        json::Value out = json::Value::object();
        out.set("valid", r.record.has_value());
        out.set("is_sts", r.is_sts);
        out.set("id", r.record ? json::Value(r.record->id) : json::Value());
        out.set("extensions",
                extensions_json(r.record ? r.record->extensions : std::vector<sts::Extension>{}));
        out.set("error", json::Value::null_if_empty(r.error));
        std::cout << out.dump() << "\n";
    } else if (r.record) {
        std::cout << "valid STS record\nid: " << r.record->id << "\n";
        for (const auto& [name, value] : r.record->extensions)
            std::cout << name << ": " << value << "\n";
    } else {
        std::cout << (r.is_sts ? "invalid STS record: " : "") << r.error << "\n";
    }
    return r.record ? kExitOk : kExitNegative;
}

// Reads at most one octet more than a policy may have, so that an oversized
// input is reported by the parser rather than read without bound.
bool read_bounded(std::istream& in, std::string& out) {
    out.resize(sts::kMaxPolicySize + 1);
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<std::size_t>(in.gcount()));
    return !in.bad();
}

int sts_parse_policy(const Context&, Args args) {
    Operands o = split_json(args);
    if (o.rest.size() > 1) return usage_error("usage: mtaguard sts parse-policy [--json] [FILE|-]");
    std::string text;
    if (o.rest.empty() || o.rest[0] == "-") {
        if (!read_bounded(std::cin, text))
            return usage_error("sts parse-policy: cannot read standard input");
    } else {
        std::ifstream file(o.rest[0], std::ios::binary);
        if (!file || !read_bounded(file, text))
            return usage_error("sts parse-policy: cannot read " + o.rest[0]);
    }
    sts::PolicyParse r = sts::parse_policy(text);
    if (o.json) {
        json::Value out = json::Value::object();
        out.set("valid", r.policy.has_value());
        out.set("error", json::Value::null_if_empty(r.error));
        out.set("policy", r.policy ? policy_json(*r.policy) : json::Value());
        std::cout << out.dump() << "\n";
    } else if (r.policy) {
        std::cout << "valid MTA-STS policy\n";
        print_policy(*r.policy, "");
    } else {
        std::cout << "invalid MTA-STS policy: " << r.error << "\n";
    }
    return r.policy ? kExitOk : kExitNegative;
}

// A fetch failure that may go away by itself (network, timeout, server
// error) is temporary; a refused certificate, a 404 or a bad policy is not.
bool temporary_failure(const sts::FetchResult& f) {
    if (f.failure != sts::FetchFailure::FetchError) return false;
    const std::string& r = f.failure_reason;
    return r == "timeout" || r == "connect-failed" || r == "dns-failure" || r == "tls-failure" ||
           r == "fetch-failed" || r.starts_with("http-status-5");
}

struct LookupOutcome {
    std::string status;  // found | none | failed | temperror
    int exit = kExitNegative;
    sts::Discovery discovery;
    std::optional<sts::FetchResult> fetch;
    std::string url;
};

LookupOutcome run_lookup(const config::Config& cfg, dns::Resolver& resolver, const std::string& ascii) {
    LookupOutcome out;
    out.discovery = sts::discover(ascii, resolver);
    if (out.discovery.status == sts::DiscoveryStatus::TempError) {
        out.status = "temperror";
        out.exit = kExitTempFail;
        return out;
    }
    if (out.discovery.status == sts::DiscoveryStatus::None) {
        out.status = "none";
        return out;
    }
    auto options = sts::FetchOptions::from_config(cfg);
    out.url = sts::policy_url(ascii, options.port);
    out.fetch = sts::make_https_fetcher(options)->fetch(ascii);
    if (out.fetch->ok()) {
        out.status = "found";
        out.exit = kExitOk;
    } else {
        out.status = "failed";  // RFC 8461 §5: deliver as if there were no policy
        out.exit = temporary_failure(*out.fetch) ? kExitTempFail : kExitNegative;
    }
    return out;
}

void print_lookup_json(const std::string& ascii, const LookupOutcome& r) {
    const bool found = r.discovery.status == sts::DiscoveryStatus::Found;
    json::Value out = json::Value::object();
    out.set("domain", ascii);
    out.set("status", r.status);
    out.set("txt", json::Value::null_if_empty(r.discovery.txt));
    out.set("record_id", found ? json::Value(r.discovery.record.id) : json::Value());
    out.set("url", json::Value::null_if_empty(r.url));
    out.set("policy", r.fetch && r.fetch->ok() ? policy_json(r.fetch->policy) : json::Value());
    out.set("policy_text",
            r.fetch && !r.fetch->text.empty() ? json::Value(r.fetch->text) : json::Value());
    out.set("failure", r.fetch && !r.fetch->ok() ? json::Value(sts::failure_name(r.fetch->failure))
                                                 : json::Value());
    out.set("failure_reason",
            r.fetch && !r.fetch->ok() ? json::Value(r.fetch->failure_reason) : json::Value());
    std::string error = r.fetch && !r.fetch->ok() ? r.fetch->error : r.discovery.error;
    out.set("error", json::Value::null_if_empty(error));
    std::cout << out.dump() << "\n";
}

void print_lookup_text(const std::string& ascii, const LookupOutcome& r) {
    std::cout << "domain: " << ascii << "\nstatus: " << r.status << "\n";
    if (!r.discovery.txt.empty()) std::cout << "record: " << r.discovery.txt << "\n";
    if (r.discovery.status != sts::DiscoveryStatus::Found) {
        std::cout << "error: " << r.discovery.error << "\n";
        return;
    }
    std::cout << "url: " << r.url << "\n";
    if (r.fetch->ok()) {
        std::cout << "policy:\n";
        print_policy(r.fetch->policy, "  ");
    } else {
        std::cout << "failure: " << sts::failure_name(r.fetch->failure) << " ("
                  << r.fetch->failure_reason << ")\nerror: " << r.fetch->error << "\n";
    }
}

int sts_lookup(const Context& ctx, Args args) {
    Operands o = split_json(args);
    if (o.rest.size() != 1) return usage_error("usage: mtaguard sts lookup [--json] DOMAIN");
    if (!ctx.config) return config_error(ctx);
    auto name = domain::parse(o.rest[0]);
    if (!name)
        return usage_error("sts lookup: invalid domain \"" + o.rest[0] + "\": " + name.error);
    auto resolver = make_resolver(*ctx.config, "sts lookup");
    if (!resolver) return kExitUsage;
    LookupOutcome r = run_lookup(*ctx.config, *resolver, name.name->ascii);
    if (o.json)
        print_lookup_json(name.name->ascii, r);
    else
        print_lookup_text(name.name->ascii, r);
    return r.exit;
}

}  // namespace

int cmd_sts(const Context& ctx, Args args) {
    if (!args.empty())
        for (const auto& c : kStsCommands)
            if (c.name == args[0]) return c.run(ctx, args.subspan(1));
    std::cerr << "usage:\n";
    for (const auto& c : kStsCommands) std::cerr << "  mtaguard " << c.synopsis << "\n";
    return kExitUsage;
}

}  // namespace tool
