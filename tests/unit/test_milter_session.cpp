// milter::Session, the callback glue without libmilter: which headers are
// collected and believed, which Authentication-Results are deleted (RFC 8601
// §5), how a Verdict becomes header edits and an SMTP reply, skips, bounds.
// The evaluator here records the facts it receives and returns a Verdict the
// case chooses: dmarc::evaluate itself is tested in its own area.
#include <cppunit/extensions/HelperMacros.h>

#include "config.h"
#include "log.h"
#include "mail/authres.h"
#include "mail/from.h"
#include "mail/received_spf.h"
#include "session.h"

namespace {

std::shared_ptr<const milter::Runtime> runtime(std::vector<std::string> overrides) {
    config::Sources sources;
    sources.file = "/nonexistent/mtaguard.conf";
    overrides.insert(overrides.begin(), "trusted_authserv_ids=upstream.example");
    overrides.push_back("authserv_id=mx.example.org");
    overrides.push_back("dns_nameservers=127.0.0.1:1");
    sources.overrides = overrides;
    std::vector<config::Error> errors;
    auto cfg = config::load(sources, errors);
    CPPUNIT_ASSERT_MESSAGE(errors.empty() ? "" : errors[0].to_string(), cfg != nullptr);
    auto built = milter::build_runtime(cfg);
    CPPUNIT_ASSERT_MESSAGE(built.error, built.runtime != nullptr);
    return built.runtime;
}

struct Recorder {
    dmarc::Verdict verdict;
    std::vector<dmarc::MessageFacts> seen;
    milter::Evaluator fn() {
        return [this](const dmarc::MessageFacts& f) {
            seen.push_back(f);
            return verdict;
        };
    }
};

dmarc::Verdict verdict(dmarc::Status status, dmarc::Action action, const std::string& header) {
    dmarc::Verdict v;
    v.status = status;
    v.action = action;
    v.header_from = "example.com";
    v.header_value = header;
    dmarc::DomainResult d;
    d.author_domain = "example.com";
    d.status = status;
    d.policy_domain = "example.com";
    d.requested = dmarc::Policy::Reject;
    v.domains.push_back(d);
    v.spf.push_back({"spf", "pass", "bounce.example.com", "mfrom", ""});
    v.dkim.push_back({"dkim", "pass", "example.com", "", "s1"});
    v.reason = "test reason";
    return v;
}

}  // namespace

class MilterSessionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MilterSessionTest);
    CPPUNIT_TEST(authserv_id_extraction);
    CPPUNIT_TEST(facts_collected);
    CPPUNIT_TEST(forged_own_results_deleted_and_not_believed);
    CPPUNIT_TEST(reply_text_bounded_and_printable);
    CPPUNIT_TEST(verdict_to_outcome);
    CPPUNIT_TEST(skips);
    CPPUNIT_TEST(bounds);
    CPPUNIT_TEST(more_own_claims_than_deletions_rejected);
    CPPUNIT_TEST(obsolete_space_before_colon);
    CPPUNIT_TEST(only_usable_headers_kept);
    CPPUNIT_TEST(stages_before_connect_ignored);
    CPPUNIT_TEST(log_line_only_when_info_is_logged);
    CPPUNIT_TEST(bad_skip_network_is_a_config_error);
    CPPUNIT_TEST_SUITE_END();

    static void log_at(logging::Level level) {
        logging::Options o;
        o.to_syslog = false;
        o.level = level;
        logging::init(o);
    }

public:
    // The per-message line is built only when info lines are written.
    void setUp() override { log_at(logging::Level::Info); }
    void tearDown() override { log_at(logging::Level::Info); }

    void authserv_id_extraction() {
        struct Case {
            const char* label;
            const char* value;
            const char* id;
        };
        const Case cases[] = {
            {"plain", "mx.example.org; spf=pass smtp.mailfrom=a.example", "mx.example.org"},
            {"leading space, case kept", "  MX.Example.ORG ; none", "MX.Example.ORG"},
            {"version", "mx.example.org 1; dkim=pass", "mx.example.org"},
            {"comment first", "(forged (nested)) mx.example.org; none", "mx.example.org"},
            {"folded", "\r\n\tmx.example.org;\r\n\tdkim=pass", "mx.example.org"},
            {"quoted", "\"mx.example.org\"; none", "mx.example.org"},
            {"job id, case kept", "mx.example.org/4XyZ12; spf=pass", "mx.example.org/4XyZ12"},
            {"comment right after", "mx.example.org(c); none", "mx.example.org"},
            {"empty", "", ""},
            {"only comment", "(nothing here", ""},
        };
        for (const auto& c : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.id), milter::authserv_id_of(c.value));
    }

    void facts_collected() {
        milter::Session s;
        s.connect(runtime({}), "192.0.2.1");
        s.helo("client.example.net");
        CPPUNIT_ASSERT_EQUAL(std::string(), s.mail("<bounce@example.com>", ""));
        s.header("Received", "from somewhere");
        s.header("from", "Alice <alice@example.com>");
        s.header("Authentication-Results", "upstream.example; dkim=pass header.d=example.com");
        s.header("Received-SPF", "pass (upstream) client-ip=192.0.2.1;");
        s.header("Subject", "hi");
        Recorder r;
        r.verdict = verdict(dmarc::Status::Pass, dmarc::Action::Accept, "mx.example.org; dmarc=pass");
        s.end_of_message("QID1", r.fn());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.seen.size());
        const auto& f = r.seen[0];
        CPPUNIT_ASSERT_EQUAL(std::string("bounce@example.com"), f.envelope_from);
        CPPUNIT_ASSERT_EQUAL(std::string("client.example.net"), f.helo);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), f.client_ip);
        CPPUNIT_ASSERT_EQUAL(std::string("QID1"), f.queue_id);
        CPPUNIT_ASSERT(f.from_headers == std::vector<std::string>{"Alice <alice@example.com>"});
        CPPUNIT_ASSERT(f.authentication_results ==
                       std::vector<std::string>{"upstream.example; dkim=pass header.d=example.com"});
        CPPUNIT_ASSERT(f.received_spf == std::vector<std::string>{"pass (upstream) client-ip=192.0.2.1;"});

        // The next message on the same connection starts empty; <> is "".
        s.mail("<>", "");
        r.seen.clear();
        s.end_of_message("QID2", r.fn());
        CPPUNIT_ASSERT_EQUAL(std::string(), r.seen.at(0).envelope_from);
        CPPUNIT_ASSERT(r.seen[0].from_headers.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("client.example.net"), r.seen[0].helo);
    }

    void forged_own_results_deleted_and_not_believed() {
        milter::Session s;
        s.connect(runtime({}), "192.0.2.1");
        s.mail("<a@example.com>", "");
        s.header("Authentication-Results", "mx.example.org; dmarc=pass header.from=example.com");  // 1 forged
        s.header("Authentication-Results", "upstream.example; spf=pass smtp.mailfrom=example.com");  // 2 trusted
        s.header("AUTHENTICATION-RESULTS", "mx.example.org/QIDX; dkim=pass header.d=example.com");  // 3 bound
        s.header("Authentication-Results", "(x) MX.example.org/other; dkim=pass header.d=example.com");  // 4 forged
        Recorder r;
        r.verdict = verdict(dmarc::Status::Fail, dmarc::Action::Accept, "mx.example.org; dmarc=fail");
        auto out = s.end_of_message("QIDX", r.fn());
        CPPUNIT_ASSERT(out.delete_authres == (std::vector<int>{4, 1}));
        CPPUNIT_ASSERT(r.seen.at(0).authentication_results ==
                       (std::vector<std::string>{"upstream.example; spf=pass smtp.mailfrom=example.com",
                                                 "mx.example.org/QIDX; dkim=pass header.d=example.com"}));
        CPPUNIT_ASSERT(out.log_line.find("forged_authres_deleted=2") != std::string::npos);
    }

    void verdict_to_outcome() {
        struct Case {
            const char* label;
            dmarc::Status status;
            dmarc::Action action;
            const char* code;  // from the verdict; "" to test the fallback
            const char* expect_code;
            const char* expect_xcode;
            bool header_added;
            bool quarantined;
        };
        const Case cases[] = {
            {"pass", dmarc::Status::Pass, dmarc::Action::Accept, "", "", "", true, false},
            {"fail tagged", dmarc::Status::Fail, dmarc::Action::Accept, "", "", "", true, false},
            {"quarantine", dmarc::Status::Fail, dmarc::Action::Quarantine, "", "", "", true, true},
            {"reject from verdict", dmarc::Status::Fail, dmarc::Action::Reject, "550", "550", "5.7.1", false, false},
            {"reject fallback", dmarc::Status::Fail, dmarc::Action::Reject, "", "550", "5.7.1", false, false},
            {"tempfail fallback", dmarc::Status::TempError, dmarc::Action::TempFail, "", "451", "4.7.1", true,
             false},
        };
        for (const auto& c : cases) {
            milter::Session s;
            s.connect(runtime({}), "192.0.2.1");
            s.mail("<a@example.com>", "");
            s.header("From", "a@example.com");
            Recorder r;
            r.verdict = verdict(c.status, c.action, "mx.example.org; dmarc=x header.from=example.com");
            if (*c.code) {
                r.verdict.smtp_code = c.code;
                r.verdict.smtp_xcode = "5.7.1";
                r.verdict.smtp_text = "rejected by example.com";
            }
            auto out = s.end_of_message("Q", r.fn());
            CPPUNIT_ASSERT_MESSAGE(c.label, out.action == c.action);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.expect_code), out.smtp_code);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.expect_xcode), out.smtp_xcode);
            if (*c.expect_code)
                CPPUNIT_ASSERT_MESSAGE(c.label, out.smtp_text.find("example.com") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.header_added, !out.add_authres.empty());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.quarantined, !out.quarantine_reason.empty());
            for (const char* field : {"queue_id=Q", "from=example.com", "policy_domain=example.com",
                                      "policy=reject", "spf=pass:bounce.example.com", "dkim=pass:example.com",
                                      "reason=\"test reason\""})
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + out.log_line,
                                       out.log_line.find(field) != std::string::npos);
            std::string status = "status=" + std::string(dmarc::status_name(c.status));
            std::string action = "action=" + std::string(dmarc::action_name(c.action));
            CPPUNIT_ASSERT_MESSAGE(c.label, out.log_line.find(status) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(c.label, out.log_line.find(action) != std::string::npos);
        }
    }

    void skips() {
        auto rt = runtime({"milter_skip_networks=10.0.0.0/8, 2001:db8::/32"});
        struct Case {
            const char* label;
            const char* ip;
            bool skipped;
        };
        const Case cases[] = {
            {"v4 inside", "10.1.2.3", true},
            {"mapped inside", "::ffff:10.1.2.3", true},
            {"v6 inside", "2001:db8::25", true},
            {"v4 outside", "192.0.2.1", false},
            {"unknown client", "", false},
        };
        for (const auto& c : cases) {
            milter::Session s;
            s.connect(rt, c.ip);
            // Every message of a skipped client is skipped.
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.skipped, !s.mail("<a@example.com>", "").empty());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.skipped, !s.mail("<b@example.com>", "").empty());
        }

        // A skipped message is not evaluated, adds no header, but loses what
        // claims our authserv-id (RFC 8601 §5), and too many such fields
        // still reject it.
        milter::Session k;
        k.connect(rt, "10.1.2.3");
        CPPUNIT_ASSERT(!k.mail("<a@example.com>", "").empty());
        k.header("Authentication-Results", "upstream.example; spf=pass smtp.mailfrom=example.com");
        k.header("Authentication-Results", "mx.example.org; dmarc=pass header.from=example.com");
        k.header("Authentication-Results", "mx.example.org/QS; none");
        auto skipped = k.skipped_end_of_message("QS");
        CPPUNIT_ASSERT(skipped.delete_authres == std::vector<int>{2});
        CPPUNIT_ASSERT_EQUAL(std::string(), skipped.add_authres);
        CPPUNIT_ASSERT(skipped.action == dmarc::Action::Accept);
        CPPUNIT_ASSERT_EQUAL(std::string(), skipped.log_line);
        CPPUNIT_ASSERT(!k.mail("<a@example.com>", "").empty());
        for (std::size_t i = 0; i <= milter::kMaxDeletions; ++i) k.header("Authentication-Results", "mx.example.org; none");
        skipped = k.skipped_end_of_message("QT");
        CPPUNIT_ASSERT(skipped.action == dmarc::Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("550"), skipped.smtp_code);

        milter::Session s;
        s.connect(rt, "192.0.2.1");
        CPPUNIT_ASSERT_EQUAL(std::string("authenticated submission"), s.mail("<a@example.com>", "alice"));
        CPPUNIT_ASSERT_EQUAL(std::string(), s.mail("<a@example.com>", ""));
        milter::Session t;
        t.connect(runtime({"milter_skip_authenticated=no"}), "192.0.2.1");
        CPPUNIT_ASSERT_EQUAL(std::string(), t.mail("<a@example.com>", "alice"));
    }

    void bounds() {
        milter::Session s;
        s.connect(runtime({"dmarc_reject_failures=yes"}), "192.0.2.1");
        s.mail("<a@example.com>", "");
        std::string huge(mail::kMaxAuthResultsHeader * 2, 'x');
        s.header("Received-SPF", huge);
        for (std::size_t i = 0; i < milter::kMaxCollectedHeaders + 5; ++i)
            s.header("Authentication-Results", "upstream.example; none");
        Recorder r;
        r.verdict = verdict(dmarc::Status::None, dmarc::Action::Accept, "mx.example.org; dmarc=none");
        auto out0 = s.end_of_message("Q", r.fn());
        CPPUNIT_ASSERT_EQUAL(mail::kMaxReceivedSpfHeader + 1, r.seen.at(0).received_spf.at(0).size());
        CPPUNIT_ASSERT_EQUAL(milter::kMaxCollectedHeaders, r.seen[0].authentication_results.size());
        CPPUNIT_ASSERT_MESSAGE(out0.log_line, out0.log_line.find("headers_ignored=5") != std::string::npos);

        // Too many From fields: not evaluated, a permerror, rejected when failures are.
        s.mail("<a@example.com>", "");
        for (std::size_t i = 0; i <= milter::kMaxFromHeaders; ++i) s.header("From", "x@example.net");
        s.header("Authentication-Results", "mx.example.org; dmarc=pass");
        r.seen.clear();
        auto out = s.end_of_message("Q2", r.fn());
        CPPUNIT_ASSERT(r.seen.empty());
        CPPUNIT_ASSERT(out.action == dmarc::Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("550"), out.smtp_code);
        CPPUNIT_ASSERT(out.add_authres.find("dmarc=permerror") != std::string::npos);
        CPPUNIT_ASSERT(out.delete_authres == std::vector<int>{1});
    }

    // The reply text is the verdict's, made safe for smfi_setreply and SMTP:
    // a From parse error may quote 16 KiB of whatever the sender wrote.
    void reply_text_bounded_and_printable() {
        milter::Session s;
        s.connect(runtime({}), "192.0.2.1");
        s.mail("<a@example.com>", "");
        s.header("From", "a@example.com");
        Recorder r;
        r.verdict = verdict(dmarc::Status::PermError, dmarc::Action::Reject, "mx.example.org; dmarc=permerror");
        r.verdict.smtp_code = "550";
        r.verdict.smtp_xcode = "5.7.1";
        r.verdict.smtp_text = "DMARC cannot be evaluated: 100% bad\r\nFrom: " + std::string(16384, 'x') + "\x01\xc3\xa9";
        auto out = s.end_of_message("Q", r.fn());
        CPPUNIT_ASSERT_EQUAL(milter::kMaxReplyText, out.smtp_text.size());
        CPPUNIT_ASSERT_EQUAL(std::string("DMARC cannot be evaluated: 100? bad??From: xxx"), out.smtp_text.substr(0, 46));
        CPPUNIT_ASSERT(out.smtp_text.ends_with("xxx..."));
        for (char c : out.smtp_text) CPPUNIT_ASSERT(c >= 0x20 && c <= 0x7e && c != '%');
        // A short text stays as it is.
        r.verdict.smtp_text = "DMARC policy of example.com rejects this message";
        s.mail("<a@example.com>", "");
        s.header("From", "a@example.com");
        CPPUNIT_ASSERT_EQUAL(r.verdict.smtp_text, s.end_of_message("Q2", r.fn()).smtp_text);
    }

        // RFC 8601 §5: every header claiming our id must go. Past kMaxDeletions
    // of them the message cannot be cleaned: it is rejected (whatever
    // dmarc_reject_failures says), never delivered with a forgery left in.
    void more_own_claims_than_deletions_rejected() {
        milter::Session s;
        s.connect(runtime({}), "192.0.2.1");
        s.mail("<a@example.com>", "");
        for (std::size_t i = 0; i < 2 * milter::kMaxDeletions; ++i)
            s.header("Authentication-Results", "upstream.example; none");  // not ours: never stored
        for (std::size_t i = 0; i < milter::kMaxDeletions; ++i)
            s.header("Authentication-Results", "mx.example.org; dkim=pass header.d=example.com");
        Recorder r;
        r.verdict = verdict(dmarc::Status::Fail, dmarc::Action::Accept, "mx.example.org; dmarc=fail");
        auto out = s.end_of_message("Q", r.fn());
        CPPUNIT_ASSERT_EQUAL(milter::kMaxDeletions, out.delete_authres.size());  // exactly at the bound: cleaned
        CPPUNIT_ASSERT_EQUAL(int(3 * milter::kMaxDeletions), out.delete_authres.front());
        CPPUNIT_ASSERT_EQUAL(int(2 * milter::kMaxDeletions + 1), out.delete_authres.back());
        CPPUNIT_ASSERT(out.action == dmarc::Action::Accept);

        s.mail("<a@example.com>", "");
        for (std::size_t i = 0; i <= milter::kMaxDeletions; ++i)
            s.header("Authentication-Results", "mx.example.org; dkim=pass header.d=example.com");
        r.seen.clear();
        out = s.end_of_message("Q2", r.fn());
        CPPUNIT_ASSERT(r.seen.empty());
        CPPUNIT_ASSERT(out.action == dmarc::Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("550"), out.smtp_code);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), out.smtp_xcode);
        CPPUNIT_ASSERT_MESSAGE(out.smtp_text, out.smtp_text.find("Authentication-Results") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out.log_line, out.log_line.find("status=permerror") != std::string::npos);
    }

    // RFC 5322 §4.5.3 obs-optional: "Name :" - Postfix passes the name with
    // the white space. Such fields are what they name.
    void obsolete_space_before_colon() {
        milter::Session s;
        s.connect(runtime({}), "192.0.2.1");
        s.mail("<a@example.com>", "");
        s.header("Authentication-Results \t", "mx.example.org; dkim=pass header.d=example.com");  // 1 forged
        s.header("Authentication-Results", "upstream.example; spf=pass smtp.mailfrom=example.com");  // 2
        s.header("Authentication-Results", "mx.example.org; dkim=pass header.d=example.com");  // 3 forged
        s.header("From ", "a@example.com");
        s.header("Received-SPF ", "pass");
        Recorder r;
        r.verdict = verdict(dmarc::Status::Fail, dmarc::Action::Accept, "mx.example.org; dmarc=fail");
        auto out = s.end_of_message("Q", r.fn());
        CPPUNIT_ASSERT(out.delete_authres == (std::vector<int>{3, 1}));
        CPPUNIT_ASSERT(r.seen.at(0).authentication_results ==
                       (std::vector<std::string>{"upstream.example; spf=pass smtp.mailfrom=example.com"}));
        CPPUNIT_ASSERT(r.seen[0].from_headers == std::vector<std::string>{"a@example.com"});
        CPPUNIT_ASSERT(r.seen[0].received_spf == std::vector<std::string>{"pass"});
    }

    // Per-message memory is what evaluate can use: Authentication-Results
    // of a trusted id or claiming ours (the rest is never believed), the
    // topmost Received-SPF only (trust.h), values cut just past the limit
    // of the parser that reads them.
    void only_usable_headers_kept() {
        milter::Session s;
        s.connect(runtime({}), "192.0.2.1");
        s.mail("<a@example.com>", "");
        std::string big(mail::kMaxAuthResultsHeader, 'x');
        for (std::size_t i = 0; i < milter::kMaxCollectedHeaders; ++i) {
            s.header("Authentication-Results", "other.example; none (" + big + ")");
            s.header("Received-SPF", "pass (" + big + ")");
        }
        s.header("Authentication-Results", "Upstream.Example; none");
        s.header("Authentication-Results", "mx.example.org/Q; none");
        s.header("From", "a@example.com (" + big + ")");
        Recorder r;
        r.verdict = verdict(dmarc::Status::None, dmarc::Action::Accept, "mx.example.org; dmarc=none");
        auto out = s.end_of_message("Q", r.fn());
        const auto& f = r.seen.at(0);
        CPPUNIT_ASSERT(f.authentication_results ==
                       (std::vector<std::string>{"Upstream.Example; none", "mx.example.org/Q; none"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.received_spf.size());
        CPPUNIT_ASSERT_EQUAL(mail::kMaxReceivedSpfHeader + 1, f.received_spf[0].size());
        CPPUNIT_ASSERT_EQUAL(mail::kMaxFromHeader + 1, f.from_headers.at(0).size());
        CPPUNIT_ASSERT(out.delete_authres.empty());
        CPPUNIT_ASSERT_MESSAGE(out.log_line, out.log_line.find("headers_ignored=0") != std::string::npos);
    }

    // A misbehaving MTA (or a libmilter bug) calling MAIL, RCPT or header
    // callbacks before connect: nothing is collected, nothing crashes, and
    // the session works normally once connected.
    void stages_before_connect_ignored() {
        milter::Session s;
        CPPUNIT_ASSERT_EQUAL(std::string(), s.mail("<a@example.com>", "alice"));
        s.rcpt("<b@example.net>");
        s.header("Authentication-Results", "mx.example.org; dkim=pass header.d=example.com");
        s.header("From", "a@example.com");
        CPPUNIT_ASSERT(s.runtime() == nullptr);
        CPPUNIT_ASSERT(s.facts().from_headers.empty());
        CPPUNIT_ASSERT(s.facts().authentication_results.empty());
        s.connect(runtime({}), "192.0.2.1");
        CPPUNIT_ASSERT_EQUAL(std::string("authenticated submission"), s.mail("<a@example.com>", "alice"));
    }

    void log_line_only_when_info_is_logged() {
        struct Case {
            const char* label;
            logging::Level level;
            bool line;
        };
        const Case cases[] = {
            {"warning", logging::Level::Warning, false},
            {"notice", logging::Level::Notice, false},
            {"info", logging::Level::Info, true},
            {"debug", logging::Level::Debug, true},
        };
        for (const auto& c : cases) {
            log_at(c.level);
            milter::Session s;
            s.connect(runtime({}), "192.0.2.1");
            s.mail("<a@example.com>", "");
            s.header("From", "a@example.com");
            Recorder r;
            r.verdict = verdict(dmarc::Status::Pass, dmarc::Action::Accept, "mx.example.org; dmarc=pass");
            auto out = s.end_of_message("Q", r.fn());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string("mx.example.org; dmarc=pass"), out.add_authres);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.line, out.log_line.find("queue_id=Q ") == 0);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.line, !out.log_line.empty());
        }
    }

    void bad_skip_network_is_a_config_error() {
        config::Sources sources;
        sources.file = "/nonexistent/mtaguard.conf";
        sources.overrides = {"milter_skip_networks=10.0.0.0/8 10.0.0.1/8"};
        std::vector<config::Error> errors;
        auto built = milter::build_runtime(config::load(sources, errors));
        CPPUNIT_ASSERT(!built.runtime);
        CPPUNIT_ASSERT_MESSAGE(built.error, built.error.find("milter_skip_networks: ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(built.error, built.error.find("10.0.0.1/8") != std::string::npos);
        sources.overrides = {"milter_socket=tcp:25"};
        built = milter::build_runtime(config::load(sources, errors));
        CPPUNIT_ASSERT_MESSAGE(built.error, built.error.find("milter_socket: ") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MilterSessionTest);
