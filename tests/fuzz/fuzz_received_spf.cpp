// Fuzz target: the Received-SPF parser (RFC 7208 §9.1).
#include <string_view>

#include "mail/received_spf.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(received_spf) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)mail::parse_received_spf(text);
    return 0;
}
