// milter::Session and the report history: what one message records (one
// row per author domain with a policy), with the recipient domains of RCPT,
// the HELO name for a null sender, and the report flag from the Subject.
// The history is a fake HistoryWriter that keeps what it is given.
#include <cppunit/extensions/HelperMacros.h>

#include "config.h"
#include "report/history.h"
#include "session.h"

namespace {

struct FakeHistory : report::HistoryWriter {
    std::vector<report::Evaluation> rows;
    void record(report::Evaluation e) override { rows.push_back(std::move(e)); }
};

std::shared_ptr<const milter::Runtime> runtime_with(std::shared_ptr<FakeHistory> history) {
    config::Sources sources;
    sources.file = "/nonexistent/mtaguard.conf";
    sources.overrides = {"authserv_id=mx.example.org", "dns_nameservers=127.0.0.1:1"};
    std::vector<config::Error> errors;
    auto built = milter::build_runtime(config::load(sources, errors));
    CPPUNIT_ASSERT_MESSAGE(built.error, built.runtime != nullptr);
    auto copy = std::make_shared<milter::Runtime>(*built.runtime);
    copy->history = std::move(history);
    return copy;
}

dmarc::Verdict failing_verdict(dmarc::Action action) {
    dmarc::Verdict v;
    v.status = dmarc::Status::Fail;
    v.action = action;
    v.header_from = "example.com";
    dmarc::DomainResult d;
    d.author_domain = "example.com";
    d.status = dmarc::Status::Fail;
    d.policy_domain = "example.com";
    d.requested = dmarc::Policy::Reject;
    d.record = "v=DMARC1; p=reject; rua=mailto:agg@example.com";
    v.domains.push_back(d);
    dmarc::DomainResult none;  // a second author domain without a policy
    none.author_domain = "nopolicy.example";
    v.domains.push_back(none);
    v.spf.push_back({"spf", "fail", "bounce.example.net", "mfrom", ""});
    return v;
}

milter::Evaluator returning(dmarc::Verdict v) {
    return [v](const dmarc::MessageFacts&) { return v; };
}

}  // namespace

class MilterHistoryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MilterHistoryTest);
    CPPUNIT_TEST(one_row_per_author_domain_with_a_policy);
    CPPUNIT_TEST(null_sender_and_report_subject);
    CPPUNIT_TEST(nothing_without_history_or_on_tempfail);
    CPPUNIT_TEST_SUITE_END();

public:
    void one_row_per_author_domain_with_a_policy() {
        auto history = std::make_shared<FakeHistory>();
        milter::Session s;
        s.connect(runtime_with(history), "192.0.2.9");
        s.helo("client.example.net");
        s.mail("<user@Bounce.Example.NET>", "");
        s.rcpt("<a@Rcpt.Example>");
        s.rcpt("<b@rcpt.example>");
        s.rcpt("<c@other.example>");
        s.header("From", "user@example.com");
        s.header("Subject", "hello");
        s.end_of_message("Q1", returning(failing_verdict(dmarc::Action::Accept)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), history->rows.size());
        const auto& e = history->rows[0];
        CPPUNIT_ASSERT(e.time > 1700000000);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.9"), e.source_ip);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), e.header_from);
        CPPUNIT_ASSERT_EQUAL(std::string("Bounce.Example.NET"), e.envelope_from_domain);
        CPPUNIT_ASSERT(e.envelope_to_domains == (std::vector<std::string>{"rcpt.example", "other.example"}));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), e.policy.domain);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), e.policy.p);
        CPPUNIT_ASSERT(e.policy.rua == std::vector<std::string>{"mailto:agg@example.com"});
        CPPUNIT_ASSERT_EQUAL(std::string("none"), e.disposition);
        CPPUNIT_ASSERT(e.reasons == std::vector<std::string>{"local_policy"});
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.net"), e.spf.at(0).domain);
        CPPUNIT_ASSERT(!e.is_report);

        // The next message starts with no recipients of its own.
        s.mail("<x@example.org>", "");
        s.header("From", "user@example.com");
        s.end_of_message("Q2", returning(failing_verdict(dmarc::Action::Reject)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), history->rows.size());
        CPPUNIT_ASSERT(history->rows[1].envelope_to_domains.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), history->rows[1].disposition);
        CPPUNIT_ASSERT(history->rows[1].reasons.empty());
    }

    void null_sender_and_report_subject() {
        auto history = std::make_shared<FakeHistory>();
        milter::Session s;
        s.connect(runtime_with(history), "192.0.2.9");
        s.helo("mx.sender.example");
        s.mail("<>", "");
        s.rcpt("<dmarc@example.org>");
        s.header("From", "reports@example.com");
        s.header("Subject", "Report Domain: example.org Submitter: example.com Report-ID: <1@example.com>");
        s.end_of_message("Q1", returning(failing_verdict(dmarc::Action::Accept)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), history->rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("mx.sender.example"), history->rows[0].envelope_from_domain);
        CPPUNIT_ASSERT(history->rows[0].is_report);
    }

    void nothing_without_history_or_on_tempfail() {
        auto history = std::make_shared<FakeHistory>();
        milter::Session s;
        s.connect(runtime_with(history), "192.0.2.9");
        s.mail("<a@example.net>", "");
        s.header("From", "user@example.com");
        s.end_of_message("Q1", returning(failing_verdict(dmarc::Action::TempFail)));
        CPPUNIT_ASSERT(history->rows.empty());
        milter::Session without;
        without.connect(runtime_with(nullptr), "192.0.2.9");
        without.mail("<a@example.net>", "");
        without.header("From", "user@example.com");
        auto out = without.end_of_message("Q2", returning(failing_verdict(dmarc::Action::Accept)));
        CPPUNIT_ASSERT(out.action == dmarc::Action::Accept);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MilterHistoryTest);
