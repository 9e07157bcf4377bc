// Unit tests of lib/netstring: valid and broken framings, every split of the
// input into chunks, coalesced messages, the length bound checked before the
// payload, the encoder.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "netstring.h"

namespace {

struct Case {
    const char* label;
    std::string input;
    std::vector<std::string> messages;  // payloads in order
    const char* error;                  // nullptr: input ends cleanly after the messages
    std::size_t max = 64;
};

const Case kCases[] = {
    {"one", "12:mta-sts a.de,", {"mta-sts a.de"}, nullptr},
    {"empty payload", "0:,", {""}, nullptr},
    {"two coalesced", "3:abc,1:x,", {"abc", "x"}, nullptr},
    {"payload with colon and comma", "5:a:,b,,", {"a:,b,"}, nullptr},
    {"binary payload", std::string("3:\0\n\r,", 6), {std::string("\0\n\r", 3)}, nullptr},
    {"at the limit", "64:" + std::string(64, 'a') + ",", {std::string(64, 'a')}, nullptr},
    {"over the limit", "65:" + std::string(65, 'a') + ",", {}, "longer than the limit"},
    {"huge length refused early", "99999999999999999999999:", {}, "longer than the limit"},
    {"leading zero", "01:a,", {}, "leading zero"},
    {"double zero", "00:,", {}, "leading zero"},
    {"non-digit", "1a:b,", {}, "non-digit"},
    {"sign", "+1:a,", {}, "non-digit"},
    {"space before length", " 1:a,", {}, "non-digit"},
    {"missing length", ":a,", {}, "length is empty"},
    {"missing comma", "1:ab", {}, "does not end in ','"},
    {"newline instead of comma", "1:a\n", {}, "does not end in ','"},
    {"good then bad", "1:a,x", {"a"}, "non-digit"},
};

// Feeds `input` in chunks of `chunk` bytes; collects messages and the error.
struct Outcome {
    std::vector<std::string> messages;
    std::string error;
    bool idle = false;
};

Outcome run(const std::string& input, std::size_t chunk, std::size_t max) {
    Outcome out;
    netstring::Decoder decoder(max);
    for (std::size_t pos = 0; pos < input.size() && out.error.empty(); pos += chunk) {
        std::string_view piece = std::string_view(input).substr(pos, chunk);
        while (true) {
            auto status = decoder.feed(piece);
            if (status == netstring::Decoder::Status::Message) {
                out.messages.emplace_back(decoder.payload());
                continue;
            }
            if (status == netstring::Decoder::Status::Error) out.error = decoder.error();
            break;
        }
    }
    out.idle = decoder.idle();
    return out;
}

}  // namespace

class NetstringTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NetstringTest);
    CPPUNIT_TEST(table_every_chunk_size);
    CPPUNIT_TEST(error_is_final);
    CPPUNIT_TEST(oversize_refused_before_payload);
    CPPUNIT_TEST(partial_is_not_idle);
    CPPUNIT_TEST(whole_netstring_is_a_view_into_the_input);
    CPPUNIT_TEST(encode_round_trip);
    CPPUNIT_TEST(append_after_existing_output);
    CPPUNIT_TEST_SUITE_END();

public:
    void table_every_chunk_size() {
        for (const auto& c : kCases) {
            for (std::size_t chunk = 1; chunk <= c.input.size(); ++chunk) {
                std::string label = std::string(c.label) + " (chunk " + std::to_string(chunk) + ")";
                Outcome out = run(c.input, chunk, c.max);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label, c.messages.size(), out.messages.size());
                for (std::size_t i = 0; i < c.messages.size(); ++i)
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, c.messages[i], out.messages[i]);
                if (c.error) {
                    CPPUNIT_ASSERT_MESSAGE(label + ": " + out.error, out.error.find(c.error) != std::string::npos);
                } else {
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string(), out.error);
                    CPPUNIT_ASSERT_MESSAGE(label, out.idle);
                }
            }
        }
    }

    void error_is_final() {
        netstring::Decoder d(10);
        std::string_view bad = "x";
        CPPUNIT_ASSERT(d.feed(bad) == netstring::Decoder::Status::Error);
        std::string_view good = "1:a,";
        CPPUNIT_ASSERT(d.feed(good) == netstring::Decoder::Status::Error);
        CPPUNIT_ASSERT(!d.idle());
    }

    void oversize_refused_before_payload() {
        // The third digit pushes the length over 99: refused with the rest
        // of the input (the ':' and any payload) left unread.
        netstring::Decoder d(99);
        std::string_view in = "100:";
        CPPUNIT_ASSERT(d.feed(in) == netstring::Decoder::Status::Error);
        CPPUNIT_ASSERT_EQUAL(std::string("0:"), std::string(in));
        CPPUNIT_ASSERT_EQUAL(std::string(), std::string(d.payload()));
    }

    void partial_is_not_idle() {
        netstring::Decoder d(10);
        CPPUNIT_ASSERT(d.idle());
        std::string_view in = "3:ab";
        CPPUNIT_ASSERT(d.feed(in) == netstring::Decoder::Status::NeedMore);
        CPPUNIT_ASSERT(in.empty());
        CPPUNIT_ASSERT(!d.idle());
        std::string_view rest = "c,";
        CPPUNIT_ASSERT(d.feed(rest) == netstring::Decoder::Status::Message);
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), std::string(d.payload()));
        CPPUNIT_ASSERT(d.idle());
    }

    // append() writes replies back to back into a connection's output buffer.
    void append_after_existing_output() {
        struct Case {
            const char* label;
            std::string before;
            std::string payload;
            std::string expected;
        } cases[] = {
            {"empty output, empty payload", "", "", "0:,"},
            {"after a reply", "9:NOTFOUND ,", "OK", "9:NOTFOUND ,2:OK,"},
            {"ten bytes: two digits", "x", "0123456789", "x10:0123456789,"},
            {"hundred bytes: three digits", "", std::string(100, 'a'), "100:" + std::string(100, 'a') + ","},
        };
        for (const auto& c : cases) {
            std::string out = c.before;
            netstring::append(out, c.payload);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.expected, out);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, netstring::encode(c.payload), out.substr(c.before.size()));
        }
    }

    // A netstring that arrives whole is not copied: its payload is a view
    // into the caller's chunk; one split over chunks is gathered and stays
    // valid after its chunks are gone.
    void whole_netstring_is_a_view_into_the_input() {
        netstring::Decoder d(100);
        std::string chunk = "7:mta-sts,3:abc,2:x";
        std::string_view in = chunk;
        CPPUNIT_ASSERT(d.feed(in) == netstring::Decoder::Status::Message);
        CPPUNIT_ASSERT_EQUAL(std::string("mta-sts"), std::string(d.payload()));
        CPPUNIT_ASSERT(d.payload().data() == chunk.data() + 2);
        CPPUNIT_ASSERT(d.feed(in) == netstring::Decoder::Status::Message);
        CPPUNIT_ASSERT(d.payload().data() == chunk.data() + 12);
        CPPUNIT_ASSERT(d.feed(in) == netstring::Decoder::Status::NeedMore);
        CPPUNIT_ASSERT(in.empty());
        std::string rest = "y,";
        std::string_view tail = rest;
        CPPUNIT_ASSERT(d.feed(tail) == netstring::Decoder::Status::Message);
        chunk.assign(chunk.size(), '#');  // the gathered payload does not point into either chunk
        rest.assign(rest.size(), '#');
        CPPUNIT_ASSERT_EQUAL(std::string("xy"), std::string(d.payload()));
        CPPUNIT_ASSERT(d.idle());
    }

    void encode_round_trip() {
        CPPUNIT_ASSERT_EQUAL(std::string("0:,"), netstring::encode(""));
        CPPUNIT_ASSERT_EQUAL(std::string("9:NOTFOUND ,"), netstring::encode("NOTFOUND "));
        std::string big(12345, 'z');
        std::string wire = netstring::encode(big);
        CPPUNIT_ASSERT_EQUAL(std::string("12345:"), wire.substr(0, 6));
        netstring::Decoder d(20000);
        std::string_view in = wire;
        CPPUNIT_ASSERT(d.feed(in) == netstring::Decoder::Status::Message);
        CPPUNIT_ASSERT_EQUAL(big, std::string(d.payload()));
        CPPUNIT_ASSERT(in.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NetstringTest);
