// Unit tests of lib/report/record: round trips field by field, limits on
// encode, and every way a stored row can be corrupt.
#include <cppunit/extensions/HelperMacros.h>

#include "report/record.h"
#include "report_samples.h"

namespace {

void assert_same_auth(const std::string& label, const std::vector<report::AuthResultEntry>& a,
                      const std::vector<report::AuthResultEntry>& b) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " size", a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " domain", a[i].domain, b[i].domain);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " selector", a[i].selector, b[i].selector);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " scope", a[i].scope, b[i].scope);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " result", a[i].result, b[i].result);
    }
}

void assert_same(const std::string& label, const report::Evaluation& a, const report::Evaluation& b) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " time", a.time, b.time);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " ip", a.source_ip, b.source_ip);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " header_from", a.header_from, b.header_from);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " envelope_from", a.envelope_from_domain, b.envelope_from_domain);
    CPPUNIT_ASSERT_MESSAGE(label + " envelope_to", a.envelope_to_domains == b.envelope_to_domains);
    assert_same_auth(label + " spf", a.spf, b.spf);
    assert_same_auth(label + " dkim", a.dkim, b.dkim);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " policy domain", a.policy.domain, b.policy.domain);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " p", a.policy.p, b.policy.p);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " sp", a.policy.sp, b.policy.sp);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " np", a.policy.np, b.policy.np);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " adkim", a.policy.adkim, b.policy.adkim);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " aspf", a.policy.aspf, b.policy.aspf);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " pct", a.policy.pct, b.policy.pct);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " t", a.policy.t, b.policy.t);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " psd", a.policy.psd, b.policy.psd);
    CPPUNIT_ASSERT_MESSAGE(label + " rua", a.policy.rua == b.policy.rua);
    CPPUNIT_ASSERT_MESSAGE(label + " ri", a.policy.ri == b.policy.ri);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " dmarc_spf", a.dmarc_spf, b.dmarc_spf);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " dmarc_dkim", a.dmarc_dkim, b.dmarc_dkim);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " disposition", a.disposition, b.disposition);
    CPPUNIT_ASSERT_MESSAGE(label + " reasons", a.reasons == b.reasons);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " is_report", a.is_report, b.is_report);
}

report::Evaluation with_reasons() {
    auto e = testing::sample_evaluation(-5);  // before the epoch: sign survives
    e.reasons = {"local_policy", "sampled_out"};
    e.disposition = "quarantine";
    e.is_report = true;
    e.policy.pct = 0;
    e.envelope_to_domains = {"a.example", "b.example", "c.example"};
    return e;
}

report::Evaluation with_ri(std::uint32_t ri) {
    auto e = testing::sample_evaluation();
    e.policy.ri = ri;
    return e;
}

std::vector<std::uint8_t> valid_row() { return report::encode(testing::sample_evaluation()); }

struct CorruptCase {
    const char* label;
    std::vector<std::uint8_t> row;
    const char* error;  // substring
};

std::vector<CorruptCase> corrupt_cases() {
    std::vector<CorruptCase> cases;
    cases.push_back({"empty", {}, "truncated"});
    auto v = valid_row();
    v[0] = 3;
    cases.push_back({"unknown version", v, "unknown record version 3"});
    v[0] = 0;
    cases.push_back({"version 0", v, "unknown record version 0"});
    v = valid_row();
    v.push_back(0);
    cases.push_back({"trailing byte", v, "trailing bytes"});
    v = valid_row();
    v.pop_back();
    cases.push_back({"last byte missing", v, "truncated"});
    v = valid_row();
    v.back() = 0x80;
    cases.push_back({"unknown flag", v, "unknown flags"});
    v = valid_row();
    v[9] = 0x04;  // source_ip length high byte: 1024 + n
    v[10] = 0x01;
    cases.push_back({"field over the limit", v, "source_ip longer than its limit of 1024 bytes"});
    // version, time, then 1023 bytes announced and 2 there
    std::vector<std::uint8_t> short_field = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xff, 'a', 'b'};
    cases.push_back({"field past the end", short_field, "truncated in source_ip"});
    // version, time, three empty strings, then the envelope_to count
    std::vector<std::uint8_t> list(15, 0);
    list[0] = 1;
    list.push_back(40);
    cases.push_back({"list over the limit", list, "envelope_to count beyond its limit of 32"});
    v = report::encode(with_ri(3600));
    v[v.size() - 25] = 2;  // the ri presence byte, before ri and the last 20 bytes
    cases.push_back({"ri presence byte not 0 or 1", v, "bad ri presence byte"});
    cases.push_back({"oversized row", std::vector<std::uint8_t>(report::kMaxRecord + 1, 1),
                     "row longer than"});
    return cases;
}

}  // namespace

class ReportRecordTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportRecordTest);
    CPPUNIT_TEST(round_trip);
    CPPUNIT_TEST(encode_truncates);
    CPPUNIT_TEST(corrupt_rows);
    CPPUNIT_TEST(every_prefix_is_refused);
    CPPUNIT_TEST_SUITE_END();

public:
    void round_trip() {
        const std::pair<const char*, report::Evaluation> cases[] = {
            {"complete", testing::sample_evaluation()},
            {"empty", report::Evaluation{}},
            {"reasons, report flag, pct 0, negative time", with_reasons()},
            {"ri published", with_ri(3600)},
            {"ri 0", with_ri(0)},
            {"ri at its 32-bit maximum", with_ri(4294967295u)},
        };
        for (const auto& [label, e] : cases) {
            auto d = report::decode(report::encode(e));
            CPPUNIT_ASSERT_MESSAGE(std::string(label) + ": " + d.error, d.evaluation.has_value());
            assert_same(label, e, *d.evaluation);
        }
    }

    void encode_truncates() {
        auto e = testing::sample_evaluation();
        e.header_from = std::string(5000, 'a');
        e.reasons = std::vector<std::string>(100, "other");
        e.policy.pct = 250;
        auto d = report::decode(report::encode(e));
        CPPUNIT_ASSERT_MESSAGE(d.error, d.evaluation.has_value());
        CPPUNIT_ASSERT_EQUAL(report::kMaxField, d.evaluation->header_from.size());
        CPPUNIT_ASSERT_EQUAL(report::kMaxItems, d.evaluation->reasons.size());
        CPPUNIT_ASSERT_EQUAL(100, d.evaluation->policy.pct);
    }

    void corrupt_rows() {
        for (const auto& c : corrupt_cases()) {
            auto d = report::decode(c.row);
            CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": decoded", !d.evaluation.has_value());
            CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": error was " + d.error,
                                   d.error.find(c.error) != std::string::npos);
        }
    }

    void every_prefix_is_refused() {
        auto row = valid_row();
        for (std::size_t n = 0; n < row.size(); ++n) {
            auto d = report::decode(std::span(row.data(), n));
            CPPUNIT_ASSERT_MESSAGE("prefix " + std::to_string(n), !d.evaluation.has_value());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportRecordTest);
