// Fuzz target: the MTA-STS policy parser (RFC 8461 §3.2) and mx matching.
#include <string_view>

#include "sts/policy.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(sts_policy) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = sts::parse_policy(text);
    if (!r.policy) return 0;
    if (r.policy->max_age > sts::kMaxMaxAge) __builtin_trap();
    for (const auto& pattern : r.policy->mx) {
        // A parsed pattern never carries what would break Postfix's reply.
        if (pattern.find_first_of("{}=: \t\r\n") != std::string::npos) __builtin_trap();
        std::string_view host(pattern);
        if (host.starts_with("*.")) host.remove_prefix(2);
        (void)r.policy->matches(host);
    }
    return 0;
}
