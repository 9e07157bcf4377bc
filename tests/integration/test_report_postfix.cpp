// DMARC aggregate reports end to end: messages for several domains through
// a real Postfix (postfix.h) with mtaguard-milter recording its
// evaluations, then `mtaguard report send` mailing the reports through that
// Postfix's sendmail(1) into the test Maildir. Each delivered report is
// unpacked (MIME, base64, gzip, XML), validated against the RFC 9990 schema
// (xmllint) and its counts and fields checked; the destination that does not
// authorize itself gets nothing; a rerun sends nothing new.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <map>

#include "../unit/report_mime.h"
#include "../unit/report_xml_reader.h"
#include "harness.h"
#include "postfix.h"
#include "report_schema.h"
#include "report/xml.h"

namespace {

constexpr const char* kTrustedId = "upstream.example";

using harness::dns_txt;
using harness::read_file;

// alpha and beta authorize test.example to receive their reports, gamma does
// not; every other question is NXDOMAIN.
std::string zone() {
    return dns_txt("_dmarc.alpha.example.", "v=DMARC1; p=reject; rua=mailto:dmarc@test.example") +
           dns_txt("_dmarc.beta.example.", "v=DMARC1; p=none; rua=mailto:agg@test.example") +
           dns_txt("_dmarc.gamma.example.", "v=DMARC1; p=quarantine; rua=mailto:agg@test.example") +
           dns_txt("alpha.example._report._dmarc.test.example.", "v=DMARC1") +
           dns_txt("beta.example._report._dmarc.test.example.", "v=DMARC1") +
           harness::dns_nxdomain_rest();
}

harness::Mail mail(const std::string& domain, const std::string& ip, bool dkim_pass, int n) {
    harness::Mail m;
    m.from = "sender@" + domain;
    m.client_addr = ip;
    m.message = (dkim_pass ? std::string("Authentication-Results: ") + kTrustedId + "; dkim=pass header.d=" +
                                 domain + " header.s=s1\n"
                           : std::string()) +
                "From: <sender@" + domain + ">\nTo: rcpt@test.example\nSubject: message " +
                std::to_string(n) + "\nMessage-ID: <" + std::to_string(n) + "@" + domain +
                ">\nDate: Sun, 22 Nov 2026 22:00:00 +0000\n\nbody\n";
    return m;
}

struct Row {
    std::string count, disposition, dkim, spf, reason, dkim_domain, dkim_selector, header_from;
};

// The reports among delivered messages, by policy domain: source IP -> row
// (counts summed over reports, in case the messages straddled a period end).
// Each report must also pass the RFC 9990 schema (checked in `dir`).
std::map<std::string, std::map<std::string, Row>> reports_in(const std::vector<std::string>& delivered,
                                                            std::size_t& report_messages,
                                                            const std::string& dir) {
    std::map<std::string, std::map<std::string, Row>> out;
    report_messages = 0;
    for (const auto& raw : delivered) {
        auto m = testing::parse_mime(raw);
        if (m.top.header("subject").rfind("Report Domain:", 0) != 0) continue;
        ++report_messages;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(raw, std::string(), m.error);
        auto gz = testing::base64_decode(m.parts.at(1).body);
        CPPUNIT_ASSERT(gz.has_value());
        auto xml = report::gunzip(*gz, 1 << 20);
        CPPUNIT_ASSERT(xml.has_value());
        ASSERT_SCHEMA_VALID("delivered report", *xml, dir);
        auto parsed = testing::parse_xml(*xml);
        CPPUNIT_ASSERT_MESSAGE(parsed.error, parsed.root.has_value());
        std::string domain = *parsed.root->value("policy_published/domain");
        for (const auto* record : parsed.root->all("record")) {
            Row& row = out[domain][*record->value("row/source_ip")];
            row.count = std::to_string((row.count.empty() ? 0 : std::stoi(row.count)) +
                                       std::stoi(*record->value("row/count")));
            row.disposition = *record->value("row/policy_evaluated/disposition");
            row.dkim = *record->value("row/policy_evaluated/dkim");
            row.spf = *record->value("row/policy_evaluated/spf");
            row.reason = record->value("row/policy_evaluated/reason/type").value_or("");
            row.dkim_domain = record->value("auth_results/dkim/domain").value_or("");
            row.dkim_selector = record->value("auth_results/dkim/selector").value_or("");
            row.header_from = *record->value("identifiers/header_from");
        }
    }
    return out;
}

}  // namespace

class ReportPostfixTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportPostfixTest);
    CPPUNIT_TEST(milter_history_to_delivered_reports);
    CPPUNIT_TEST_SUITE_END();

public:
    void milter_history_to_delivered_reports() {
        harness::TestDns dns(zone());
        harness::Postfix pf;
        harness::TempDir dir;
        chmod(dir.path().c_str(), 0755);
        std::string history = dir.path() + "/history";
        std::filesystem::create_directory(history);
        harness::chown_to(history, "postfix");  // the milter runs as `user`
        std::string common = "dns_nameservers = " + dns.nameserver() + "\ndns_timeout = 2s\nreport_dir = " +
                             history + "\n";
        std::string conf = dir.file(
            "mtaguard.conf", common + "user = postfix\nmilter_socket = unix:" + pf.milter_socket() +
                                 "\nmilter_pid_file = " + pf.run_dir() + "/milter.pid\nauthserv_id = mx.test.example"
                                 "\ntrusted_authserv_ids = " + kTrustedId + "\n");
        std::string log = dir.path() + "/milter.log";
        auto milter = std::make_unique<harness::Process>(
            std::vector<std::string>{harness::builddir() + "/milter/mtaguard-milter", "-f", "-c", conf}, log);
        CPPUNIT_ASSERT_MESSAGE(read_file(log), harness::wait_until([&] { return std::filesystem::exists(pf.milter_socket()); },
                                                                   std::chrono::seconds(5)));

        std::int64_t start = std::time(nullptr);
        const harness::Mail mails[] = {
            mail("alpha.example", "192.0.2.10", true, 1), mail("alpha.example", "192.0.2.10", true, 2),
            mail("alpha.example", "198.51.100.20", false, 3),  // fails p=reject; local policy accepts
            mail("beta.example", "192.0.2.30", true, 4), mail("gamma.example", "192.0.2.40", true, 5),
        };
        for (const auto& m : mails) {
            auto r = pf.send(m);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), pf.wait_for_delivered(5).size());
        milter->stop();  // the worker writes what is queued before it exits
        milter.reset();

        // report_sendmail: Postfix's own sendmail(1), for this instance.
        std::string sendmail = dir.file("sendmail", "#!/bin/sh\nexec /usr/sbin/sendmail -C " + pf.config_dir() +
                                                        " \"$@\"\n");
        chmod(sendmail.c_str(), 0755);
        std::string period = std::to_string(start - 3600) + ".." + std::to_string(std::time(nullptr) + 3600);
        std::vector<std::string> args{"-o", "dns_nameservers=" + dns.nameserver(), "-o", "report_dir=" + history,
                                      "-o", "report_sendmail=" + sendmail,
                                      "-o", "report_email=dmarc-reports@mx.receiver.example",
                                      "report", "send", "--period", period};
        auto r = harness::run_tool(args);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("sent alpha.example") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("sent beta.example") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("refused gamma.example") != std::string::npos);

        std::size_t report_messages = 0;
        auto delivered = pf.wait_for_delivered(7);
        auto reports = reports_in(delivered, report_messages, dir.path());
        CPPUNIT_ASSERT_MESSAGE(pf.log(), report_messages >= 2);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), reports.size());  // alpha and beta, not gamma
        const auto& alpha = reports.at("alpha.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), alpha.size());
        const Row& pass = alpha.at("192.0.2.10");
        CPPUNIT_ASSERT_EQUAL(std::string("2"), pass.count);
        CPPUNIT_ASSERT_EQUAL(std::string("none"), pass.disposition);
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), pass.dkim);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), pass.spf);
        CPPUNIT_ASSERT_EQUAL(std::string(""), pass.reason);
        CPPUNIT_ASSERT_EQUAL(std::string("alpha.example"), pass.dkim_domain);
        CPPUNIT_ASSERT_EQUAL(std::string("s1"), pass.dkim_selector);
        CPPUNIT_ASSERT_EQUAL(std::string("alpha.example"), pass.header_from);
        const Row& fail = alpha.at("198.51.100.20");
        CPPUNIT_ASSERT_EQUAL(std::string("1"), fail.count);
        CPPUNIT_ASSERT_EQUAL(std::string("none"), fail.disposition);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), fail.dkim);
        CPPUNIT_ASSERT_EQUAL(std::string("local_policy"), fail.reason);
        const auto& beta = reports.at("beta.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), beta.size());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), beta.at("192.0.2.30").count);

        // A rerun sends nothing new.
        auto again = harness::run_tool(args);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.out + again.err, 0, again.status);
        CPPUNIT_ASSERT_MESSAGE(again.out, ("\n" + again.out).find("\nsent ") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(again.out, again.out.find("already sent alpha.example") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(again.out, again.out.find("already sent gamma.example") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportPostfixTest);
