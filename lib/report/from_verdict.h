// from_verdict: the history rows of one message: one report::Evaluation per
// author domain of a dmarc::Verdict that has a DMARC policy to report to.
//
// Not recorded: author domains without a policy (status none), with a
// broken or unreachable one (permerror, temperror: no usable rua), and
// messages the milter answers with a temporary failure (they come back and
// would be counted twice). The disposition is what the milter applied to
// the message; when it differs from the policy a failing domain requested,
// the reason says why (RFC 9990 §2.1.5 PolicyOverrideType): the record's
// t=y ("policy_test_mode"), pct sampling ("sampled_out", RFC 7489 §6.6.4;
// written as type "other" in RFC 9990 XML), else our configuration
// ("local_policy", e.g. dmarc_reject_failures = no).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dmarc/evaluate.h"
#include "report/history.h"

namespace report {

struct MessageContext {
    std::int64_t time = 0;
    std::string client_ip;
    std::string envelope_from_domain;  // MAIL FROM domain; the HELO name for a null sender
    std::vector<std::string> envelope_to_domains;
    bool is_report = false;            // is_report_subject() of the Subject field
};

std::vector<Evaluation> evaluations_of(const dmarc::Verdict& verdict, const MessageContext& message);

}  // namespace report
