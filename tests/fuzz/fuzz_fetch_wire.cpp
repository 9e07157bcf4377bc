// Fuzz target: the reply decoder of mtaguard-policyd's fetch helper protocol
// (bytes from the helper process). A reply that decodes must encode to the
// same bytes; one that does not must say why.
#include <cstdlib>
#include <string>
#include <string_view>

#include "sts/fetch_wire.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(fetch_wire) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    sts::FetchResult out;
    std::string error;
    bool ok = sts::fetch_wire::decode_reply(bytes, out, error);
    if (ok && sts::fetch_wire::encode_reply(out) != bytes) std::abort();
    if (!ok && error.empty()) std::abort();
    return 0;
}
