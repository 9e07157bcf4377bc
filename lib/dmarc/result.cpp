// result: names of the DMARC result values, as written in --json output and
// Authentication-Results (dmarc= result codes of RFC 7489 §11.2; policy
// names of RFC 7489 §6.3).
#include "dmarc/result.h"

namespace dmarc {

std::string_view status_name(Status s) {
    switch (s) {
    case Status::None: return "none";
    case Status::Pass: return "pass";
    case Status::Fail: return "fail";
    case Status::TempError: return "temperror";
    case Status::PermError: return "permerror";
    }
    return "none";
}

std::string_view policy_name(Policy p) {
    switch (p) {
    case Policy::None: return "none";
    case Policy::Quarantine: return "quarantine";
    case Policy::Reject: return "reject";
    }
    return "none";
}

std::string_view action_name(Action a) {
    switch (a) {
    case Action::Accept: return "accept";
    case Action::Quarantine: return "quarantine";
    case Action::Reject: return "reject";
    case Action::TempFail: return "tempfail";
    }
    return "accept";
}

}  // namespace dmarc
