// Fuzz target: the report history record decoder (rows read back from
// Berkeley DB are untrusted). A row of the current version that decodes must
// encode to the same bytes: the layout has exactly one encoding per
// evaluation. An older row encodes as the current version, one byte longer
// (the absent ri), and that encoding must itself round-trip.
#include <algorithm>
#include <cstdlib>
#include <span>

#include "report/record.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(report_record) {
    auto decoded = report::decode(std::span(data, size));
    if (!decoded.evaluation) return 0;
    auto again = report::encode(*decoded.evaluation);
    if (data[0] == report::kRecordVersion) {
        if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
        return 0;
    }
    auto upgraded = report::decode(again);
    if (again.size() != size + 1 || !upgraded.evaluation) std::abort();
    if (report::encode(*upgraded.evaluation) != again) std::abort();
    return 0;
}
