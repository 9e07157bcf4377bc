// Fuzz target: the report history record decoder (rows read back from
// Berkeley DB are untrusted). A row that decodes must encode to the same
// bytes: the layout has exactly one encoding per evaluation.
#include <cstdlib>
#include <span>

#include "report/record.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(report_record) {
    auto decoded = report::decode(std::span(data, size));
    if (!decoded.evaluation) return 0;
    auto again = report::encode(*decoded.evaluation);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    return 0;
}
