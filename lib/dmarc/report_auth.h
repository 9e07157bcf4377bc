// report_auth: may DMARC reports about one domain go to a destination in
// another? (RFC 7489 §7.1 "Verifying External Destinations", kept by
// RFC 9990.) The destination opts in with a TXT record at
// <policy-domain>._report._dmarc.<destination-domain>.
//
// Accepted when at least one TXT string there starts with the v=DMARC1 tag:
// several records are allowed (unlike policy records), the rest of the
// record need not be a valid policy, and the bare "v=DMARC1" of the RFC's
// own example is accepted. SERVFAIL or timeout: temperror (the caller may
// retry later). A name longer than the DNS allows is never asked: "none".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dmarc/discovery.h"
#include "dns.h"

namespace dmarc {

struct ReportAuth {
    LookupStatus status = LookupStatus::None;  // Found, None or TempError
    bool accepts = false;
    std::string name;                  // the TXT name asked
    std::vector<std::string> records;  // the TXT strings starting with v=DMARC1
    bool authentic = false;
    std::string error;
};

// Both domains in A-label form (domain::parse), no trailing dot.
ReportAuth check_report_destination(std::string_view policy_domain, std::string_view destination_domain,
                                    dns::Resolver& resolver);

}  // namespace dmarc
