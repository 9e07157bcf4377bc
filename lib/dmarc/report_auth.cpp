// report_auth: the external report destination check; see report_auth.h.
#include "dmarc/report_auth.h"

#include "dmarc/record.h"
#include "domain.h"

namespace dmarc {

ReportAuth check_report_destination(std::string_view policy_domain, std::string_view destination_domain,
                                    dns::Resolver& resolver) {
    ReportAuth out;
    // RFC 7489 §7.1 step 2: <policy domain> "._report._dmarc." <destination>.
    out.name = std::string(policy_domain) + "._report._dmarc." + std::string(destination_domain);
    if (out.name.size() > domain::kMaxName) {  // RFC 1035 §2.3.4
        out.error = "name " + out.name + " is longer than " + std::to_string(domain::kMaxName) + " octets";
        return out;
    }
    dns::Answer answer = resolver.query(out.name, dns::RrType::TXT);
    out.authentic = answer.authentic;
    if (answer.temporary()) {
        // RFC 7489 §7.1 step 3: a temporary DNS error; the sender may retry.
        out.status = LookupStatus::TempError;
        out.error = "DNS " + std::string(dns::status_name(answer.status)) + " for " + out.name + " TXT";
        return out;
    }
    for (const auto& txt : answer.texts)
        if (parse_record(txt).is_dmarc) out.records.push_back(txt);  // RFC 7489 §7.1 step 4
    out.accepts = !out.records.empty();  // RFC 7489 §7.1 step 5: one or more records
    out.status = out.accepts ? LookupStatus::Found : LookupStatus::None;
    return out;
}

}  // namespace dmarc
