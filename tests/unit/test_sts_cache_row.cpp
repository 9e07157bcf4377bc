// Unit tests of the policy cache row encoding: round trips of every field,
// and truncated, corrupt and unknown-version rows rejected with a reason.
#include <cppunit/extensions/HelperMacros.h>

#include "sts/cache_row.h"

namespace {

using sts::CacheRow;
using sts::Seconds;

CacheRow full_row() {
    CacheRow row;
    row.domain = "xn--bcher-kva.example";
    row.inserted = Seconds(std::chrono::seconds(1'700'000'001));
    row.valid_until = Seconds(std::chrono::seconds(1'731'557'602));
    row.last_update = Seconds(std::chrono::seconds(1'700'000'003));
    row.last_use = Seconds(std::chrono::seconds(1'700'000'004));
    row.last_checked = Seconds(std::chrono::seconds(-5));  // before the epoch survives too
    row.backoff = true;
    row.record_id = "20260101T000000";
    row.policy.version = "STSv1";
    row.policy.mode = sts::Mode::Testing;
    row.policy.max_age = sts::kMaxMaxAge;
    row.policy.mx = {"mx1.example.com", "*.example.net"};
    row.policy.extensions = {{"ext-one", "value 1"}, {"x", ""}};
    row.policy_text = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\n";
    row.failure = sts::FetchFailure::WebPkiInvalid;
    row.failure_reason = "certificate-expired";
    return row;
}

void assert_same(const std::string& label, const CacheRow& a, const CacheRow& b) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.domain, b.domain);
    CPPUNIT_ASSERT_MESSAGE(label + " inserted", a.inserted == b.inserted);
    CPPUNIT_ASSERT_MESSAGE(label + " valid_until", a.valid_until == b.valid_until);
    CPPUNIT_ASSERT_MESSAGE(label + " last_update", a.last_update == b.last_update);
    CPPUNIT_ASSERT_MESSAGE(label + " last_use", a.last_use == b.last_use);
    CPPUNIT_ASSERT_MESSAGE(label + " last_checked", a.last_checked == b.last_checked);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.backoff, b.backoff);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.record_id, b.record_id);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.policy.version, b.policy.version);
    CPPUNIT_ASSERT_MESSAGE(label + " mode", a.policy.mode == b.policy.mode);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.policy.max_age, b.policy.max_age);
    CPPUNIT_ASSERT_MESSAGE(label + " mx", a.policy.mx == b.policy.mx);
    CPPUNIT_ASSERT_MESSAGE(label + " extensions", a.policy.extensions == b.policy.extensions);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.policy_text, b.policy_text);
    CPPUNIT_ASSERT_MESSAGE(label + " failure", a.failure == b.failure);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, a.failure_reason, b.failure_reason);
}

// Byte offsets of the fixed-size fields after the domain of full_row().
constexpr std::size_t kDomainEnd = 1 + 2 + 21;
constexpr std::size_t kFlagsAt = kDomainEnd + 5 * 8;
constexpr std::size_t kModeAt = kFlagsAt + 1 + 2 + 15;
constexpr std::size_t kMaxAgeAt = kModeAt + 1;

struct Corruption {
    const char* label;
    std::size_t offset;
    std::string bytes;  // written over the encoding at offset
    const char* error;  // substring of DecodedRow::error
};

const Corruption kCorruptions[] = {
    {"version 0", 0, std::string(1, '\0'), "unknown row version 0"},
    {"version 2", 0, "\x02", "unknown row version 2"},
    {"version 255", 0, "\xff", "unknown row version 255"},
    {"domain length beyond limit", 1, "\x04\x01", "domain longer than its limit"},
    {"domain length beyond input", 1, std::string("\x03\x00", 2), "truncated in domain"},
    {"empty domain", 1, std::string("\x00\x00", 2), "empty domain"},
    {"unknown flag", kFlagsAt, "\x03", "unknown flag bits"},
    {"unknown mode", kModeAt, "\x03", "unknown mode 3"},
    {"max_age too large", kMaxAgeAt, std::string("\x01\xe1\x87\xe1", 4), "max_age beyond"},
};

}  // namespace

class StsCacheRowTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsCacheRowTest);
    CPPUNIT_TEST(round_trip_every_field);
    CPPUNIT_TEST(round_trip_defaults);
    CPPUNIT_TEST(round_trip_each_mode_and_failure);
    CPPUNIT_TEST(first_byte_is_version);
    CPPUNIT_TEST(every_truncation_rejected);
    CPPUNIT_TEST(corruptions_rejected);
    CPPUNIT_TEST(trailing_bytes_rejected);
    CPPUNIT_TEST(bad_failure_rejected);
    CPPUNIT_TEST(oversized_fields_cut_to_limits);
    CPPUNIT_TEST_SUITE_END();

public:
    void round_trip_every_field() {
        CacheRow row = full_row();
        auto decoded = sts::decode_row(sts::encode_row(row));
        CPPUNIT_ASSERT_MESSAGE(decoded.error, decoded.row.has_value());
        CPPUNIT_ASSERT(decoded.error.empty());
        assert_same("full", row, *decoded.row);
    }

    void round_trip_defaults() {
        CacheRow row;
        row.domain = "a";
        auto decoded = sts::decode_row(sts::encode_row(row));
        CPPUNIT_ASSERT_MESSAGE(decoded.error, decoded.row.has_value());
        assert_same("defaults", row, *decoded.row);
        CPPUNIT_ASSERT(decoded.row->policy.mx.empty());
        CPPUNIT_ASSERT(decoded.row->policy_text.empty());
    }

    void round_trip_each_mode_and_failure() {
        for (auto mode : {sts::Mode::Enforce, sts::Mode::Testing, sts::Mode::None}) {
            for (auto failure :
                 {sts::FetchFailure::None, sts::FetchFailure::FetchError,
                  sts::FetchFailure::PolicyInvalid, sts::FetchFailure::WebPkiInvalid}) {
                CacheRow row = full_row();
                row.policy.mode = mode;
                row.failure = failure;
                row.backoff = failure != sts::FetchFailure::None;
                auto decoded = sts::decode_row(sts::encode_row(row));
                CPPUNIT_ASSERT_MESSAGE(decoded.error, decoded.row.has_value());
                assert_same("mode/failure", row, *decoded.row);
            }
        }
    }

    void first_byte_is_version() {
        std::string bytes = sts::encode_row(full_row());
        CPPUNIT_ASSERT_EQUAL(static_cast<int>(sts::kRowVersion), static_cast<int>(bytes[0]));
        // The layout the offsets of kCorruptions rely on.
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"), bytes.substr(3, 21));
        CPPUNIT_ASSERT_EQUAL(std::string("20260101T000000"), bytes.substr(kFlagsAt + 3, 15));
    }

    void every_truncation_rejected() {
        std::string bytes = sts::encode_row(full_row());
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            auto decoded = sts::decode_row(std::string_view(bytes).substr(0, n));
            CPPUNIT_ASSERT_MESSAGE("length " + std::to_string(n), !decoded.row.has_value());
            CPPUNIT_ASSERT_MESSAGE("length " + std::to_string(n) + ": " + decoded.error,
                                   decoded.error.find("truncated") != std::string::npos);
        }
    }

    void corruptions_rejected() {
        for (const auto& c : kCorruptions) {
            std::string bytes = sts::encode_row(full_row());
            bytes.replace(c.offset, c.bytes.size(), c.bytes);
            auto decoded = sts::decode_row(bytes);
            CPPUNIT_ASSERT_MESSAGE(c.label, !decoded.row.has_value());
            CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + decoded.error,
                                   decoded.error.find(c.error) != std::string::npos);
        }
    }

    void trailing_bytes_rejected() {
        std::string bytes = sts::encode_row(full_row()) + "x";
        auto decoded = sts::decode_row(bytes);
        CPPUNIT_ASSERT(!decoded.row.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("trailing bytes"), decoded.error);
    }

    void bad_failure_rejected() {
        CacheRow row = full_row();
        row.failure_reason.clear();
        std::string bytes = sts::encode_row(row);
        // The failure byte sits before the final (empty) reason length.
        bytes[bytes.size() - 3] = '\x04';
        auto decoded = sts::decode_row(bytes);
        CPPUNIT_ASSERT(!decoded.row.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("unknown failure type 4"), decoded.error);
    }

    void oversized_fields_cut_to_limits() {
        CacheRow row = full_row();
        row.failure_reason = std::string(sts::kMaxRowString + 10, 'r');
        row.policy_text = std::string(sts::kMaxPolicySize + 10, 't');
        auto decoded = sts::decode_row(sts::encode_row(row));
        CPPUNIT_ASSERT_MESSAGE(decoded.error, decoded.row.has_value());
        CPPUNIT_ASSERT_EQUAL(sts::kMaxRowString, decoded.row->failure_reason.size());
        CPPUNIT_ASSERT_EQUAL(sts::kMaxPolicySize, decoded.row->policy_text.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsCacheRowTest);
