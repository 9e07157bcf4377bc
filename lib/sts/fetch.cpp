// fetch: MTA-STS discovery (RFC 8461 §3.1) and the names of the RFC 8460
// §4.3 policy failure types. The HTTPS fetcher is in https_fetch.cpp.
//
// discover() queries TXT _mta-sts.<domain> (the resolver follows CNAMEs),
// drops the TXT records that are not STS records, and finds a policy only
// when exactly one remains and it is valid. DNS SERVFAIL or a timeout is a
// temporary error, distinct from "no policy".
#include "sts/fetch.h"

#include "domain.h"

namespace sts {

std::string_view failure_name(FetchFailure f) {
    switch (f) {
        case FetchFailure::None:
            return "";
        case FetchFailure::FetchError:
            return "sts-policy-fetch-error";  // RFC 8460 §4.3.2.2
        case FetchFailure::PolicyInvalid:
            return "sts-policy-invalid";  // RFC 8460 §4.3.2.2
        case FetchFailure::WebPkiInvalid:
            return "sts-webpki-invalid";  // RFC 8460 §4.3.2.2
    }
    return "";
}

Discovery discover(std::string_view domain_in, dns::Resolver& resolver) {
    Discovery out;
    auto name = domain::parse(domain_in);
    if (!name) {
        out.error = "invalid domain: " + name.error;
        return out;
    }
    std::string owner = "_mta-sts." + name.name->ascii;
    dns::Answer answer = resolver.query(owner, dns::RrType::TXT);
    if (answer.temporary()) {
        out.status = DiscoveryStatus::TempError;
        out.error = owner + ": " + std::string(dns::status_name(answer.status)) +
                    (answer.error.empty() ? "" : " (" + answer.error + ")");
        return out;
    }
    if (!answer.ok()) {
        out.error =
            owner + ": no TXT record (" + std::string(dns::status_name(answer.status)) + ")";
        return out;
    }
    // RFC 8461 §3.1: records that do not begin with "v=STSv1;" are discarded;
    // if the number of remaining records is not one, or the one is invalid,
    // the domain has no available policy.
    std::vector<std::pair<std::string, RecordParse>> candidates;
    for (const auto& text : answer.texts) {
        RecordParse parsed = parse_record(text);
        if (parsed.is_sts) candidates.emplace_back(text, std::move(parsed));
    }
    if (candidates.empty()) {
        out.error =
            owner + ": no STS record among " + std::to_string(answer.texts.size()) + " TXT records";
        return out;
    }
    if (candidates.size() > 1) {
        out.error = owner + ": " + std::to_string(candidates.size()) + " STS records";
        return out;
    }
    auto& [text, parsed] = candidates.front();
    if (!parsed.record) {
        out.error = owner + ": invalid STS record: " + parsed.error;
        out.txt = text;
        return out;
    }
    out.status = DiscoveryStatus::Found;
    out.record = std::move(*parsed.record);
    out.txt = text;
    return out;
}

}  // namespace sts
