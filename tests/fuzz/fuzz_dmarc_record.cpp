// Fuzz target: the DMARC record parser (lib/dmarc/record). Besides not
// crashing, a parse must be self-consistent: a valid record is a DMARC
// record, carries a record and no error, and its values are in range.
#include <cstdlib>
#include <string_view>

#include "dmarc/record.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(dmarc_record) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = dmarc::parse_record(text);
    if (r.valid != r.record.has_value() || (r.valid && (!r.is_dmarc || !r.error.empty()))) std::abort();
    if (!r.valid && r.error.empty()) std::abort();
    if (r.record) {
        const auto& rec = *r.record;
        if (rec.pct < 0 || rec.pct > 100 || rec.fo.empty() || rec.rf.empty()) std::abort();
        if (rec.rua.size() > dmarc::kMaxUris || rec.ruf.size() > dmarc::kMaxUris) std::abort();
        if (rec.psd != 'y' && rec.psd != 'n' && rec.psd != 'u') std::abort();
    }
    return 0;
}
