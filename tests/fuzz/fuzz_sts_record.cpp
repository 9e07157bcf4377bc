// Fuzz target: the MTA-STS TXT record parser (RFC 8461 §3.1).
#include <string_view>

#include "sts/policy.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(sts_record) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = sts::parse_record(text);
    // A record is valid only with an id of 1..32 characters.
    if (r.record && (r.record->id.empty() || r.record->id.size() > 32 || !r.is_sts))
        __builtin_trap();
    return 0;
}
