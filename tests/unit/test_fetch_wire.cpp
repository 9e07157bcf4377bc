// Unit tests of lib/sts/fetch_wire: the replies of mtaguard-policyd's fetch
// helper round-trip with every field; byte-exact encoding; truncated,
// oversized, unknown-version, unknown-failure and trailing-byte replies are
// refused with a message naming what is wrong.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "sts/fetch_wire.h"

namespace {

using sts::FetchFailure;
namespace wire = sts::fetch_wire;

sts::FetchResult result(FetchFailure failure, std::string reason, std::string error, std::string text) {
    sts::FetchResult r;
    r.failure = failure;
    r.failure_reason = std::move(reason);
    r.error = std::move(error);
    r.text = std::move(text);
    return r;
}

std::string decode_error(std::string_view payload) {
    sts::FetchResult out;
    std::string error;
    if (wire::decode_reply(payload, out, error)) return "(decoded)";
    return error;
}

}  // namespace

class FetchWireTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FetchWireTest);
    CPPUNIT_TEST(round_trip_every_failure_type);
    CPPUNIT_TEST(golden_bytes);
    CPPUNIT_TEST(long_fields_are_cut_to_their_bounds);
    CPPUNIT_TEST(malformed_replies);
    CPPUNIT_TEST_SUITE_END();

public:
    void round_trip_every_failure_type() {
        const sts::FetchResult cases[] = {
            result(FetchFailure::None, "", "", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n"),
            result(FetchFailure::FetchError, "http-status-404", "HTTP status 404", ""),
            result(FetchFailure::PolicyInvalid, "policy-invalid", "no max_age", "version: STSv1\n"),
            result(FetchFailure::WebPkiInvalid, "certificate-expired", "SSL peer certificate (X509 verify result 10)", ""),
            result(FetchFailure::None, "", "", std::string(sts::kMaxPolicySize, 'x')),
        };
        for (const auto& in : cases) {
            sts::FetchResult out;
            out.failure_reason = "stale";
            std::string error;
            CPPUNIT_ASSERT_MESSAGE(error, wire::decode_reply(wire::encode_reply(in), out, error));
            CPPUNIT_ASSERT(in.failure == out.failure);
            CPPUNIT_ASSERT_EQUAL(in.failure_reason, out.failure_reason);
            CPPUNIT_ASSERT_EQUAL(in.error, out.error);
            CPPUNIT_ASSERT_EQUAL(in.text, out.text);
            CPPUNIT_ASSERT(out.policy.mx.empty());  // the caller parses the text
        }
    }

    void golden_bytes() {
        auto bytes = wire::encode_reply(result(FetchFailure::FetchError, "timeout", "t", "ab"));
        CPPUNIT_ASSERT_EQUAL(std::string("\x01\x01\x00\x07timeout\x00\x01t\x00\x00\x00\x02" "ab", 20), bytes);
    }

    void long_fields_are_cut_to_their_bounds() {
        sts::FetchResult out;
        std::string error;
        auto in = result(FetchFailure::FetchError, std::string(500, 'r'), std::string(10000, 'e'), "");
        CPPUNIT_ASSERT(wire::decode_reply(wire::encode_reply(in), out, error));
        CPPUNIT_ASSERT_EQUAL(wire::kMaxReason, out.failure_reason.size());
        CPPUNIT_ASSERT_EQUAL(wire::kMaxError, out.error.size());
        CPPUNIT_ASSERT(wire::encode_reply(in).size() <= wire::kMaxReply);
    }

    void malformed_replies() {
        std::string good = wire::encode_reply(result(FetchFailure::None, "", "", "text"));
        CPPUNIT_ASSERT_EQUAL(std::string("(decoded)"), decode_error(good));
        CPPUNIT_ASSERT(decode_error("").find("version") != std::string::npos);
        for (std::size_t cut = 0; cut < good.size(); ++cut)
            CPPUNIT_ASSERT(decode_error(good.substr(0, cut)) != "(decoded)");
        std::string version = good;
        version[0] = 2;
        CPPUNIT_ASSERT_EQUAL(std::string("unknown reply version 2"), decode_error(version));
        std::string failure = good;
        failure[1] = 4;
        CPPUNIT_ASSERT_EQUAL(std::string("unknown failure type 4"), decode_error(failure));
        CPPUNIT_ASSERT_EQUAL(std::string("trailing bytes after the policy text"), decode_error(good + "x"));
        // A text length beyond the policy size bound (RFC 8461 §3.3 caps are ours: 64 KiB).
        std::string huge("\x01\x00\x00\x00\x00\x00\x00\x01\x00\x01", 10);
        huge += std::string(65537, 'x');
        CPPUNIT_ASSERT(decode_error(huge).find("policy text") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FetchWireTest);
