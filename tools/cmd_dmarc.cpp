// mtaguard dmarc: parse, look up, verify and explain DMARC (DESIGN.md
// command-line contract): parse RECORD, lookup DOMAIN, verify --from DOMAIN
// [--spf RESULT[:DOMAIN]] [--dkim RESULT:DOMAIN]... [--no-sampling]
// [--roll N], report-auth POLICY_DOMAIN DESTINATION_DOMAIN, orgdomain
// DOMAIN. `--json` prints one JSON object. Exit: 0 valid/found/pass/accepted,
// 1 a definite negative (invalid record, no policy, fail, permerror), 2 usage
// or configuration error, 75 temporary DNS failure.
#include <iostream>
#include <memory>
#include <optional>

#include "command.h"
#include "dmarc/discovery.h"
#include "dmarc/record.h"
#include "dmarc/report_auth.h"
#include "dmarc/verify.h"
#include "dns.h"
#include "domain.h"
#include "json.h"

namespace tool {
namespace {

constexpr std::string_view kUsage =
    "usage: mtaguard dmarc parse [--json] RECORD\n"
    "       mtaguard dmarc lookup [--json] DOMAIN\n"
    "       mtaguard dmarc verify [--json] --from DOMAIN [--spf RESULT[:DOMAIN]] [--dkim RESULT:DOMAIN]...\n"
    "                             [--no-sampling] [--roll N]\n"
    "       mtaguard dmarc report-auth [--json] POLICY_DOMAIN DESTINATION_DOMAIN\n"
    "       mtaguard dmarc orgdomain [--json] DOMAIN";

json::Value uris_json(const std::vector<dmarc::ReportUri>& uris) {
    json::Value out = json::Value::array();
    for (const auto& u : uris) {
        json::Value o = json::Value::object();
        o.set("uri", u.uri);
        o.set("max_size_bytes", u.max_size_bytes ? json::Value(static_cast<long long>(*u.max_size_bytes)) : json::Value());
        out.push(std::move(o));
    }
    return out;
}

json::Value strings_json(const std::vector<std::string>& v) {
    json::Value out = json::Value::array();
    for (const auto& s : v) out.push(s);
    return out;
}

json::Value record_json(const dmarc::Record& r) {
    json::Value o = json::Value::object();
    o.set("p", dmarc::policy_name(r.p));
    o.set("sp", dmarc::policy_name(r.sp));
    o.set("np", dmarc::policy_name(r.np));
    o.set("adkim", dmarc::alignment_name(r.adkim));
    o.set("aspf", dmarc::alignment_name(r.aspf));
    o.set("pct", r.pct);
    o.set("fo", strings_json(r.fo));
    o.set("rf", strings_json(r.rf));
    o.set("ri", static_cast<long long>(r.ri));
    o.set("rua", uris_json(r.rua));
    o.set("ruf", uris_json(r.ruf));
    o.set("psd", std::string(1, r.psd));
    o.set("t", r.testing ? "y" : "n");
    return o;
}

std::string record_text(const dmarc::Record& r) {
    return record_json(r).dump();
}

// A domain argument in A-label form, or nullopt after a usage message.
std::optional<std::string> domain_arg(const std::string& arg) {
    auto parsed = domain::parse(arg);
    if (!parsed) {
        usage_error("dmarc: invalid domain \"" + arg + "\": " + parsed.error);
        return std::nullopt;
    }
    return parsed.name->ascii;
}

int exit_for(dmarc::LookupStatus s) {
    switch (s) {
    case dmarc::LookupStatus::Found: return kExitOk;
    case dmarc::LookupStatus::TempError: return kExitTempFail;
    default: return kExitNegative;
    }
}

int run_parse(const Operands& p) {
    if (p.rest.size() != 1) return usage_error("dmarc parse: expected one RECORD argument");
    auto r = dmarc::parse_record(p.rest[0]);
    if (p.json) {
        json::Value o = json::Value::object();
        o.set("valid", r.valid);
        o.set("is_dmarc", r.is_dmarc);
        o.set("error", r.valid ? json::Value() : json::Value(r.error));
        o.set("record", r.record ? record_json(*r.record) : json::Value());
        o.set("warnings", strings_json(r.warnings));
        std::cout << o.dump() << "\n";
    } else if (r.valid) {
        std::cout << "valid DMARC record\n" << record_text(*r.record) << "\n";
        for (const auto& w : r.warnings) std::cout << "note: " << w << "\n";
    } else {
        std::cout << (r.is_dmarc ? "invalid DMARC record: " : "") << r.error << "\n";
    }
    return r.valid ? kExitOk : kExitNegative;
}

int run_lookup(const Operands& p, const config::Config& cfg) {
    if (p.rest.size() != 1) return usage_error("dmarc lookup: expected one DOMAIN argument");
    auto name = domain_arg(p.rest[0]);
    if (!name) return kExitUsage;
    auto resolver = make_resolver(cfg, "dmarc lookup");
    if (!resolver) return kExitUsage;
    auto lk = dmarc::lookup_policy(*name, *resolver, cfg);
    if (p.json) {
        json::Value o = json::Value::object();
        o.set("status", dmarc::lookup_status_name(lk.status));
        o.set("domain", json::Value::or_null(lk.domain));
        o.set("txt", json::Value::or_null(lk.txt));
        o.set("record", lk.record ? record_json(*lk.record) : json::Value());
        o.set("authentic", lk.authentic);
        o.set("error", json::Value::null_if_empty(lk.error));
        o.set("queried", strings_json(lk.queried));
        o.set("discovery", dmarc::method_name(dmarc::discovery_method(cfg)));
        std::cout << o.dump() << "\n";
        return exit_for(lk.status);
    }
    std::cout << *name << ": " << dmarc::lookup_status_name(lk.status);
    if (lk.domain) std::cout << " at _dmarc." << *lk.domain;
    std::cout << " (" << dmarc::method_name(dmarc::discovery_method(cfg)) << ", asked";
    for (const auto& q : lk.queried) std::cout << " " << q;
    std::cout << ")\n";
    if (lk.txt) std::cout << "record: " << *lk.txt << "\n";
    if (lk.record) std::cout << "effective: " << record_text(*lk.record) << "\n";
    for (const auto& n : lk.notes) std::cout << "note: " << n << "\n";
    for (const auto& w : lk.warnings) std::cout << "note: " << w << "\n";
    if (!lk.error.empty()) std::cout << "error: " << lk.error << "\n";
    std::cout << "DNSSEC authenticated: " << (lk.authentic ? "yes" : "no") << "\n";
    return exit_for(lk.status);
}

// verify options: --from, --spf, --dkim (repeatable), --no-sampling, --roll.
struct VerifyArgs {
    std::string from;
    std::vector<dmarc::AuthFact> spf;
    std::vector<dmarc::AuthFact> dkim;
    bool no_sampling = false;
    int roll = -1;
};

// "RESULT[:DOMAIN]"; an SPF result without a domain is about the From domain.
dmarc::AuthFact fact_arg(const std::string& method, const std::string& arg, const std::string& from) {
    auto colon = arg.find(':');
    dmarc::AuthFact f;
    f.method = method;
    f.result = arg.substr(0, colon);
    f.domain = colon == std::string::npos ? from : arg.substr(colon + 1);
    f.scope = method == "spf" ? "mfrom" : "";
    return f;
}

std::optional<VerifyArgs> verify_args(const std::vector<std::string>& rest) {
    VerifyArgs v;
    std::vector<std::string> spf, dkim;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const auto& a = rest[i];
        if (a == "--no-sampling") { v.no_sampling = true; continue; }
        if (a != "--from" && a != "--spf" && a != "--dkim" && a != "--roll") {
            usage_error("dmarc verify: unexpected argument \"" + a + "\"");
            return std::nullopt;
        }
        if (i + 1 >= rest.size()) {
            usage_error("dmarc verify: " + a + " needs a value");
            return std::nullopt;
        }
        const auto& value = rest[++i];
        if (a == "--from") v.from = value;
        else if (a == "--spf") spf.push_back(value);
        else if (a == "--dkim") dkim.push_back(value);
        else if (value.empty() || value.size() > 2 || value.find_first_not_of("0123456789") != std::string::npos) {
            usage_error("dmarc verify: --roll takes 0..99");
            return std::nullopt;
        } else v.roll = std::stoi(value);
    }
    if (v.from.empty()) {
        usage_error("dmarc verify: --from DOMAIN is required");
        return std::nullopt;
    }
    for (const auto& s : spf) v.spf.push_back(fact_arg("spf", s, v.from));
    for (const auto& d : dkim) {
        if (d.find(':') == std::string::npos) {
            usage_error("dmarc verify: --dkim takes RESULT:DOMAIN");
            return std::nullopt;
        }
        v.dkim.push_back(fact_arg("dkim", d, v.from));
    }
    return v;
}

json::Value verify_json(const dmarc::DomainResult& r) {
    json::Value o = json::Value::object();
    o.set("status", dmarc::status_name(r.status));
    o.set("author_domain", r.author_domain);
    o.set("policy_domain", json::Value::or_null(r.policy_domain));
    o.set("org_domain", json::Value::or_null(r.org_domain));
    o.set("policy", json::Value::or_null(r.policy_tag));
    o.set("requested", r.requested ? json::Value(dmarc::policy_name(*r.requested)) : json::Value());
    o.set("applied", r.applied ? json::Value(dmarc::policy_name(*r.applied)) : json::Value());
    o.set("reject", r.reject);
    o.set("sampled_out", r.sampled_out);
    o.set("testing", r.testing);
    o.set("aligned_spf", r.aligned_spf);
    o.set("aligned_dkim", r.aligned_dkim);
    o.set("authentic", r.authentic);
    o.set("record", json::Value::or_null(r.record));
    o.set("error", json::Value::null_if_empty(r.error));
    o.set("explanation", r.explanation);
    return o;
}

// The explanation's "; "-separated steps, one per line.
void print_explanation(const std::string& explanation) {
    std::size_t start = 0;
    for (;;) {
        std::size_t end = explanation.find("; ", start);
        std::cout << "  " << explanation.substr(start, end - start) << "\n";
        if (end == std::string::npos) return;
        start = end + 2;
    }
}

int run_verify(const Operands& p, const Context& ctx) {
    auto v = verify_args(p.rest);
    if (!v) return kExitUsage;
    std::shared_ptr<const config::Config> cfg = ctx.config;
    if (v->no_sampling) {
        config::Sources sources = ctx.sources;
        sources.overrides.push_back("dmarc_sampling=no");
        std::vector<config::Error> errors;
        cfg = config::load(sources, errors);
        if (!cfg) return usage_error("dmarc verify: cannot apply --no-sampling");
    }
    auto resolver = make_resolver(*cfg, "dmarc verify");
    if (!resolver) return kExitUsage;
    auto r = dmarc::verify(v->from, v->spf, v->dkim, *resolver, *cfg, v->roll);
    if (p.json) {
        std::cout << verify_json(r).dump() << "\n";
    } else {
        std::cout << r.author_domain << ": dmarc=" << dmarc::status_name(r.status) << "\n";
        print_explanation(r.explanation);
        if (r.requested)
            std::cout << "policy " << *r.policy_tag << "=" << dmarc::policy_name(*r.requested) << ", applied "
                      << dmarc::policy_name(*r.applied) << (r.sampled_out ? " (one level lower)" : "")
                      << ", reject: " << (r.reject ? "yes" : "no") << "\n";
        std::cout << "DNSSEC authenticated: " << (r.authentic ? "yes" : "no") << "\n";
    }
    switch (r.status) {
    case dmarc::Status::Pass: return kExitOk;
    case dmarc::Status::TempError: return kExitTempFail;
    default: return kExitNegative;
    }
}

int run_report_auth(const Operands& p, const config::Config& cfg) {
    if (p.rest.size() != 2) return usage_error("dmarc report-auth: expected POLICY_DOMAIN DESTINATION_DOMAIN");
    auto policy = domain_arg(p.rest[0]);
    auto dest = policy ? domain_arg(p.rest[1]) : std::nullopt;
    if (!dest) return kExitUsage;
    auto resolver = make_resolver(cfg, "dmarc report-auth");
    if (!resolver) return kExitUsage;
    auto r = dmarc::check_report_destination(*policy, *dest, *resolver);
    if (p.json) {
        json::Value o = json::Value::object();
        o.set("accepts", r.accepts);
        o.set("status", dmarc::lookup_status_name(r.status));
        o.set("records", strings_json(r.records));
        o.set("name", r.name);
        o.set("authentic", r.authentic);
        o.set("error", json::Value::null_if_empty(r.error));
        std::cout << o.dump() << "\n";
    } else {
        std::cout << *dest << (r.accepts ? " accepts" : " does not accept") << " DMARC reports for " << *policy
                  << " (" << r.name << " TXT: " << dmarc::lookup_status_name(r.status) << ")\n";
        for (const auto& rec : r.records) std::cout << "record: " << rec << "\n";
        if (!r.error.empty()) std::cout << "error: " << r.error << "\n";
    }
    if (r.status == dmarc::LookupStatus::TempError) return kExitTempFail;
    return r.accepts ? kExitOk : kExitNegative;
}

int run_orgdomain(const Operands& p, const config::Config& cfg) {
    if (p.rest.size() != 1) return usage_error("dmarc orgdomain: expected one DOMAIN argument");
    auto name = domain_arg(p.rest[0]);
    if (!name) return kExitUsage;
    auto resolver = make_resolver(cfg, "dmarc orgdomain");
    if (!resolver) return kExitUsage;
    auto o = dmarc::orgdomain(*name, *resolver, cfg);
    if (p.json) {
        json::Value j = json::Value::object();
        j.set("domain", *name);
        j.set("org_domain", o.ok ? json::Value(o.domain) : json::Value());
        j.set("discovery", dmarc::method_name(dmarc::discovery_method(cfg)));
        j.set("queries", o.queries);
        j.set("authentic", o.authentic);
        j.set("error", o.ok ? json::Value() : json::Value(o.error));
        std::cout << j.dump() << "\n";
    } else if (o.ok) {
        std::cout << o.domain << "\n";
    } else {
        std::cerr << "mtaguard: dmarc orgdomain: " << o.error << "\n";
    }
    return o.ok ? kExitOk : kExitTempFail;
}

}  // namespace

int cmd_dmarc(const Context& ctx, Args args) {
    if (args.empty()) return usage_error(kUsage);
    const std::string& sub = args[0];
    Operands p = split_json(args.subspan(1));
    if (sub == "parse") return run_parse(p);
    if (sub != "lookup" && sub != "verify" && sub != "report-auth" && sub != "orgdomain")
        return usage_error("dmarc: unknown subcommand \"" + sub + "\"\n" + std::string(kUsage));
    if (!ctx.config) return config_error(ctx);
    if (sub == "lookup") return run_lookup(p, *ctx.config);
    if (sub == "verify") return run_verify(p, ctx);
    if (sub == "report-auth") return run_report_auth(p, *ctx.config);
    return run_orgdomain(p, *ctx.config);
}

}  // namespace tool
