// Fuzz target: what mtaguard-milter reads from untrusted headers and
// configuration before dmarc::evaluate: the leading authserv-id of an
// Authentication-Results value (comments, quoting, folding), the own-id
// deletion rule, and the CIDR parser of milter_skip_networks.
#include <string>
#include <string_view>

#include "../../milter/session.h"
#include "dmarc/trust.h"
#include "net/cidr.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(milter_headers) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string id = milter::authserv_id_of(text);
    (void)dmarc::claims_own_id(id, "mx.example.org", text.substr(0, 16));
    std::string_view first_line = text.substr(0, text.find('\n'));
    auto network = net::parse_network(first_line);
    if (network.network) (void)network.network->to_string();
    if (auto address = net::parse_address(first_line)) (void)address->to_string();
    return 0;
}
