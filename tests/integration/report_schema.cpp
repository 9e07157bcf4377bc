// report_schema: see report_schema.h.
#include "report_schema.h"

#include <atomic>
#include <fstream>

#include "harness.h"

namespace testing {

std::string schema_errors(const std::string& xml, const std::string& dir) {
    static std::atomic<int> n{0};
    std::string path = dir + "/schema-check-" + std::to_string(n++) + ".xml";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << xml;
        if (!out) return "cannot write " + path;
    }
    std::string xsd = harness::srcdir() + "/tests/data/rfc9990-aggregate.xsd";
    auto r = harness::run({"xmllint", "--noout", "--schema", xsd, path});
    if (r.status == 0) return {};
    std::string said = r.err + r.out;
    return said.empty() ? "xmllint exited with " + std::to_string(r.status) : said;
}

}  // namespace testing
