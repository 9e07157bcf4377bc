// Fuzz target: the From header parser (RFC 5322 §3.4, RFC 2047 names).
#include <string_view>

#include "mail/from.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(from) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = mail::parse_from(text);
    (void)r.domains();
    return 0;
}
