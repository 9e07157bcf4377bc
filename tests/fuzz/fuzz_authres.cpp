// Fuzz target: the Authentication-Results parser (RFC 8601 §2.2).
#include <string_view>

#include "mail/authres.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(authres) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = mail::parse_authentication_results(text);
    if (r.header)
        for (const auto& res : r.header->results) (void)res.prop("smtp.mailfrom");
    return 0;
}
