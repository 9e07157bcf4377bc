// Unit tests of lib/binary (the codec under the history and policy cache
// rows): golden bytes for every primitive, the writer's cuts, the reader's
// refusals, and proof that both row formats kept their bytes: rows in the
// fuzz corpora (written by the codecs this one replaced) re-encode to the
// very same bytes.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "binary.h"
#include "report/record.h"
#include "report_samples.h"
#include "sts/cache_row.h"

namespace {

std::string corpus(const std::string& name) {
    const char* srcdir = std::getenv("MTAGUARD_SRCDIR");
    std::ifstream in(std::string(srcdir ? srcdir : ".") + "/tests/fuzz/corpus/" + name, std::ios::binary);
    CPPUNIT_ASSERT_MESSAGE("cannot read corpus file " + name, in.good());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

struct ReadCase {
    const char* label;
    std::string input;
    const char* error;  // exact
};

}  // namespace

class BinaryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BinaryTest);
    CPPUNIT_TEST(writer_golden_bytes);
    CPPUNIT_TEST(writer_cuts_to_limits);
    CPPUNIT_TEST(reader_reads_back);
    CPPUNIT_TEST(reader_refusals);
    CPPUNIT_TEST(report_rows_keep_their_bytes);
    CPPUNIT_TEST(cache_rows_keep_their_bytes);
    CPPUNIT_TEST_SUITE_END();

public:
    void writer_golden_bytes() {
        binary::Writer w;
        w.u8(0xab);
        w.u16(0x0102);
        w.u32(0x03040506);
        w.i64(-2);
        w.str("hi", 10);
        w.text("abc", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), w.count8(3, 10));
        CPPUNIT_ASSERT_EQUAL(std::size_t(258), w.count16(258, 1000));
        CPPUNIT_ASSERT_EQUAL(bytes({0xab, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                    0x00, 0x02, 'h', 'i',
                                    0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c',
                                    0x03, 0x01, 0x02}),
                             w.take());
    }

    void writer_cuts_to_limits() {
        binary::Writer w;
        w.str("abcdef", 4);
        w.text("abcdef", 2);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), w.count8(40, 5));
        CPPUNIT_ASSERT_EQUAL(std::size_t(255), w.count8(1000, 1000));  // one byte holds 255
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), w.count16(9, 7));
        CPPUNIT_ASSERT_EQUAL(bytes({0x00, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00, 0x00, 0x02, 'a', 'b',
                                    0x05, 0xff, 0x00, 0x07}),
                             w.take());
    }

    void reader_reads_back() {
        std::string in = bytes({0xab, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xfe, 0x00, 0x02, 'h', 'i', 0x00, 0x00, 0x00, 0x03,
                                'a', 'b', 'c', 0x03, 0x01, 0x02});
        binary::Reader r{std::string_view(in)};
        CPPUNIT_ASSERT_EQUAL(0xab, static_cast<int>(r.u8("a")));
        CPPUNIT_ASSERT_EQUAL(0x0102, static_cast<int>(r.u16("b")));
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0x03040506), r.u32("c"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-2), r.i64("d"));
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), r.str(2, "e"));
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), r.text(3, "f"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), r.count8(3, "g"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(258), r.count16(258, "h"));
        CPPUNIT_ASSERT(r.at_end());
        CPPUNIT_ASSERT_EQUAL(std::string(), r.error());
    }

    void reader_refusals() {
        const ReadCase cases[] = {
            {"empty", "", "truncated at first"},
            {"short u16", bytes({0x00}), "truncated at first"},
            {"string over its limit", bytes({0x00, 0x05, 'a', 'b', 'c', 'd', 'e'}),
             "first longer than its limit of 4 bytes"},
            {"string past the end", bytes({0x00, 0x03, 'a', 'b'}), "truncated in first"},
            {"count over its limit", bytes({0x00, 0x02, 'a', 'b', 0x09}), "second count beyond its limit of 8"},
            {"second read truncated", bytes({0x00, 0x02, 'a', 'b'}), "truncated at second"},
        };
        for (const auto& c : cases) {
            binary::Reader r{std::string_view(c.input)};
            r.str(4, "first");
            std::size_t n = r.count8(8, "second");
            CPPUNIT_ASSERT_MESSAGE(c.label, !r.ok());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.error), r.error());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.label) + ": failed reads yield 0", std::size_t(0), n);
            // The first failure sticks.
            r.fail("later");
            r.u32("third");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.error), r.error());
        }
    }

    // corpus/report_record/complete is testing::sample_evaluation() as the
    // version-1 encoder wrote it. Today's encoding of the same evaluation is
    // those bytes with version 2 and one more byte (no ri) before the last
    // 20 (dmarc_spf "fail", dmarc_dkim "pass", disposition "none", no
    // reasons, flags): every other byte is unchanged.
    void report_rows_keep_their_bytes() {
        std::string v1 = corpus("report_record/complete");
        std::string expected = v1;
        expected[0] = 2;
        expected.insert(expected.size() - 20, 1, '\0');
        auto encoded = report::encode(testing::sample_evaluation());
        CPPUNIT_ASSERT_EQUAL(expected, std::string(encoded.begin(), encoded.end()));
        for (const char* name : {"report_record/complete", "report_record/empty",
                                 "report_record/reasons-report-flag"}) {
            std::string row = corpus(name);
            auto decoded = report::decode(std::span(reinterpret_cast<const std::uint8_t*>(row.data()), row.size()));
            CPPUNIT_ASSERT_MESSAGE(std::string(name) + ": " + decoded.error, decoded.evaluation.has_value());
            CPPUNIT_ASSERT_MESSAGE(name, !decoded.evaluation->policy.ri.has_value());
        }
        std::string v2 = corpus("report_record/complete-v2-ri");
        auto decoded = report::decode(std::span(reinterpret_cast<const std::uint8_t*>(v2.data()), v2.size()));
        CPPUNIT_ASSERT_MESSAGE(decoded.error, decoded.evaluation.has_value());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(3600), decoded.evaluation->policy.ri.value_or(0));
        auto again = report::encode(*decoded.evaluation);
        CPPUNIT_ASSERT_EQUAL(v2, std::string(again.begin(), again.end()));
    }

    void cache_rows_keep_their_bytes() {
        for (const char* name : {"sts_cache_row/enforce", "sts_cache_row/backoff"}) {
            std::string row = corpus(name);
            auto decoded = sts::decode_row(row);
            CPPUNIT_ASSERT_MESSAGE(std::string(name) + ": " + decoded.error, decoded.row.has_value());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, row, sts::encode_row(*decoded.row));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BinaryTest);
