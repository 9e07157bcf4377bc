// report_samples: evaluations the report tests share.
#pragma once

#include "report/history.h"

namespace testing {

// A complete evaluation: every field set, two DKIM results, SPF, rua with size.
inline report::Evaluation sample_evaluation(std::int64_t time = 1700000000) {
    report::Evaluation e;
    e.time = time;
    e.source_ip = "192.0.2.10";
    e.header_from = "example.com";
    e.envelope_from_domain = "bounce.example.com";
    e.envelope_to_domains = {"example.org"};
    e.spf = {{"bounce.example.com", "", "mfrom", "pass"}};
    e.dkim = {{"example.com", "s1", "", "pass"}, {"esp.example", "sel2", "", "fail"}};
    e.policy.domain = "example.com";
    e.policy.p = "reject";
    e.policy.sp = "quarantine";
    e.policy.np = "reject";
    e.policy.adkim = "r";
    e.policy.aspf = "s";
    e.policy.pct = 100;
    e.policy.t = "n";
    e.policy.psd = "u";
    e.policy.rua = {"mailto:dmarc@example.com!10m", "mailto:agg@reports.example.net"};
    e.dmarc_spf = "fail";
    e.dmarc_dkim = "pass";
    e.disposition = "none";
    e.reasons = {};
    return e;
}

}  // namespace testing
