// Fuzz target: the MTA-STS policy cache row decoder (bytes read back from
// Berkeley DB). A row that decodes must encode to the same bytes.
#include <cstdlib>
#include <string_view>

#include "sts/cache_row.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(sts_cache_row) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto decoded = sts::decode_row(bytes);
    if (decoded.row && sts::encode_row(*decoded.row) != bytes) std::abort();
    if (!decoded.row && decoded.error.empty()) std::abort();
    return 0;
}
