// `mtaguard report` end to end: a history written by the library's
// HistoryWriter (what mtaguard-milter uses), reports sent through
// report_sendmail, DNS from ldns-testns for the RFC 9990 §4 check. Each
// delivered message is unpacked (MIME, base64, gzip) and its XML checked,
// by our reader and against the RFC 9990 schema (xmllint); a rerun sends
// nothing new; per-domain periods (ri); schema edge cases; dump, dry run,
// purge and usage errors.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <set>
#include <sstream>

#include "../unit/report_mime.h"
#include "../unit/report_xml_reader.h"
#include "config.h"
#include "harness.h"
#include "report_schema.h"
#include "report/history.h"
#include "report/xml.h"

namespace {

using harness::read_file;

constexpr std::int64_t kDay = 86400;

// other.example authorizes test.example to receive its reports; nobody
// authorizes for third.example.
std::string zone() {
    return harness::dns_txt("other.example._report._dmarc.test.example.", "v=DMARC1") +
           harness::dns_entry("third.example._report._dmarc.test.example.", "TXT", "NXDOMAIN", "") +
           // Any other question (the tree walks of organizational domains): NXDOMAIN.
           harness::dns_nxdomain_rest();
}

report::Evaluation evaluation(std::int64_t time, const std::string& policy_domain, const std::string& ip,
                              const std::string& dkim_result) {
    report::Evaluation e;
    e.time = time;
    e.source_ip = ip;
    e.header_from = policy_domain;
    e.envelope_from_domain = policy_domain;
    e.envelope_to_domains = {"mx.receiver.example"};
    e.spf = {{policy_domain, "", "mfrom", "pass"}};
    e.dkim = {{policy_domain, "sel", "", dkim_result}};
    e.policy.domain = policy_domain;
    e.policy.p = "quarantine";
    e.policy.sp = "quarantine";
    e.policy.np = "reject";
    e.policy.adkim = "r";
    e.policy.aspf = "r";
    e.policy.t = "n";
    e.policy.rua = {"mailto:" + std::string(policy_domain == "test.example" ? "dmarc" : "agg") +
                    "@test.example"};
    e.dmarc_spf = "pass";
    e.dmarc_dkim = dkim_result == "pass" ? "pass" : "fail";
    e.disposition = "none";
    return e;
}

// The report inside a delivered message, parsed; fails the test otherwise,
// or when it breaks the schema (checked in `dir`).
testing::XmlNode unpack(const std::string& message, std::string& attachment_name, const std::string& dir) {
    auto m = testing::parse_mime(message);
    CPPUNIT_ASSERT_EQUAL(std::string(), m.error);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.parts.size());
    const auto& part = m.parts[1];
    CPPUNIT_ASSERT(part.header("content-type").rfind("application/gzip", 0) == 0);
    attachment_name = testing::header_parameter(part.header("content-disposition"), "filename");
    auto gz = testing::base64_decode(part.body);
    CPPUNIT_ASSERT(gz.has_value());
    auto xml = report::gunzip(*gz, 1 << 20);
    CPPUNIT_ASSERT(xml.has_value());
    ASSERT_SCHEMA_VALID(attachment_name, *xml, dir);
    auto parsed = testing::parse_xml(*xml);
    CPPUNIT_ASSERT_MESSAGE(parsed.error, parsed.root.has_value());
    return *parsed.root;
}

}  // namespace

class ReportIntegrationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportIntegrationTest);
    CPPUNIT_TEST(send_then_rerun);
    CPPUNIT_TEST(dry_run_and_dump);
    CPPUNIT_TEST(purge);
    CPPUNIT_TEST(usage);
    CPPUNIT_TEST(per_domain_intervals);
    CPPUNIT_TEST(schema_edge_cases);
    CPPUNIT_TEST(schema_check_can_fail);
    CPPUNIT_TEST(schema_namespace);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        dir_ = std::make_unique<harness::TempDir>();
        dns_ = std::make_unique<harness::TestDns>(zone());
        std::filesystem::create_directory(dir_->path() + "/out");
        // A sendmail that keeps each message and its arguments.
        sendmail_ = dir_->file("sendmail", "#!/bin/sh\nn=$(ls \"" + dir_->path() + "/out\" | grep -c eml)\n"
                                           "echo \"$@\" > \"" + dir_->path() + "/out/$n.args\"\n"
                                           "cat > \"" + dir_->path() + "/out/$n.eml\"\n");
        chmod(sendmail_.c_str(), 0755);
        day_ = (std::time(nullptr) / kDay - 2) * kDay;  // two days ago, 00:00 UTC
        config::Loader loader;
        for (const auto& o : overrides()) loader.override_value(o);
        auto cfg = loader.finish();
        // The writer stays open while the tool runs, as mtaguard-milter's does.
        std::string error;
        writer_ = report::open_history_writer(*cfg, error);
        CPPUNIT_ASSERT_MESSAGE(error, writer_ != nullptr);
        writer_->record(evaluation(day_ + 100, "test.example", "192.0.2.1", "pass"));
        writer_->record(evaluation(day_ + 200, "test.example", "192.0.2.1", "pass"));
        writer_->record(evaluation(day_ + 300, "test.example", "198.51.100.9", "fail"));
        writer_->record(evaluation(day_ + 400, "other.example", "192.0.2.7", "pass"));
        writer_->record(evaluation(day_ + 500, "third.example", "192.0.2.8", "pass"));
        writer_->flush();
    }

    void tearDown() override {
        writer_.reset();
        dns_.reset();
        dir_.reset();
    }

    std::vector<std::string> overrides() const {
        return {"report_dir=" + dir_->path() + "/history", "report_sendmail=" + sendmail_,
                "report_email=dmarc-reports@mx.receiver.example", "report_org_name=Receiver & Co",
                "dns_nameservers=" + dns_->nameserver(), "dns_timeout=2s"};
    }

    harness::ToolResult tool(const std::vector<std::string>& args) const {
        std::vector<std::string> argv;
        for (const auto& o : overrides()) {
            argv.push_back("-o");
            argv.push_back(o);
        }
        argv.insert(argv.end(), args.begin(), args.end());
        return harness::run_tool(argv);
    }

    std::vector<std::string> sent() const {
        std::vector<std::string> out;
        for (int i = 0; std::filesystem::exists(dir_->path() + "/out/" + std::to_string(i) + ".eml"); ++i)
            out.push_back(read_file(dir_->path() + "/out/" + std::to_string(i) + ".eml"));
        return out;
    }

    void send_then_rerun() {
        auto r = tool({"report", "send"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        std::string span = std::to_string(day_) + ".." + std::to_string(day_ + kDay);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("sent other.example " + span + " mailto:agg@test.example") !=
                                          std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("sent test.example " + span + " mailto:dmarc@test.example") !=
                                          std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("refused third.example " + span +
                                                 " mailto:agg@test.example: external destination not "
                                                 "authorized") != std::string::npos);
        auto messages = sent();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), messages.size());
        CPPUNIT_ASSERT_EQUAL(std::string("-i -f dmarc-reports@mx.receiver.example -- agg@test.example\n"),
                             read_file(dir_->path() + "/out/0.args"));

        std::string name;
        auto other = unpack(messages[0], name, dir_->path());
        CPPUNIT_ASSERT_EQUAL(std::string("other.example"), *other.value("policy_published/domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *other.value("record/row/count"));

        auto root = unpack(messages[1], name, dir_->path());
        std::string id = *root.value("report_metadata/report_id");
        CPPUNIT_ASSERT_EQUAL("mx.receiver.example!test.example!" + std::to_string(day_) + "!" +
                                 std::to_string(day_ + kDay - 1) + "!" + id + ".xml.gz",
                             name);
        CPPUNIT_ASSERT_EQUAL(std::string("urn:ietf:params:xml:ns:dmarc-2.0"), root.attributes.at("xmlns"));
        CPPUNIT_ASSERT_EQUAL(std::string("Receiver & Co"), *root.value("report_metadata/org_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("dmarc-reports@mx.receiver.example"), *root.value("report_metadata/email"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(day_), *root.value("report_metadata/date_range/begin"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(day_ + kDay - 1), *root.value("report_metadata/date_range/end"));
        CPPUNIT_ASSERT_EQUAL(std::string("test.example"), *root.value("policy_published/domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), *root.value("policy_published/p"));
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), *root.value("policy_published/np"));
        auto records = root.all("record");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), records.size());
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), *records[0]->value("row/source_ip"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), *records[0]->value("row/count"));
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), *records[0]->value("row/policy_evaluated/dkim"));
        CPPUNIT_ASSERT_EQUAL(std::string("mx.receiver.example"), *records[0]->value("identifiers/envelope_to"));
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.9"), *records[1]->value("row/source_ip"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *records[1]->value("row/count"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), *records[1]->value("row/policy_evaluated/dkim"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), *records[1]->value("auth_results/dkim/result"));
        CPPUNIT_ASSERT_EQUAL(std::string("sel"), *records[1]->value("auth_results/dkim/selector"));

        auto again = tool({"report", "send"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.out + again.err, 0, again.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sent().size());
        CPPUNIT_ASSERT_MESSAGE(again.out, ("\n" + again.out).find("\nsent ") == std::string::npos);
        CPPUNIT_ASSERT(again.out.find("already sent test.example") != std::string::npos);
        CPPUNIT_ASSERT(again.out.find("already sent third.example") != std::string::npos);
    }

    void dry_run_and_dump() {
        auto dry = tool({"report", "send", "--dry-run", "--domain", "test.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dry.out + dry.err, 0, dry.status);
        CPPUNIT_ASSERT(dry.out.find("would send test.example") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sent().size());
        std::string out = dir_->path() + "/dump";
        std::filesystem::create_directory(out);
        auto dump = tool({"report", "dump", "--out", out, "--period",
                          std::to_string(day_) + ".." + std::to_string(day_ + kDay)});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump.out + dump.err, 0, dump.status);
        std::size_t files = 0;
        for (const auto& f : std::filesystem::directory_iterator(out)) {
            ++files;
            ASSERT_SCHEMA_VALID(f.path().string(), read_file(f.path()), dir_->path());
            auto parsed = testing::parse_xml(read_file(f.path()));
            CPPUNIT_ASSERT_MESSAGE(parsed.error, parsed.root.has_value());
            CPPUNIT_ASSERT(f.path().filename().string().rfind("mx.receiver.example!", 0) == 0);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), files);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sent().size());
        // The dry run and the dump marked nothing: a real run still sends.
        auto r = tool({"report", "send"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sent().size());
    }

    void purge() {
        auto r = tool({"-o", "report_retention=1d", "report", "purge"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("purged 5 rows"), r.out.substr(0, 13));
        auto none = tool({"report", "send", "--domain", "test.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(none.out + none.err, 1, none.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sent().size());
    }

    void usage() {
        const std::vector<std::vector<std::string>> cases = {
            {"report"},
            {"report", "bogus"},
            {"report", "dump"},
            {"report", "send", "--period", "yesterday"},
            {"report", "purge", "--domain", "x.example"},
            {"report", "send", "--out", "/tmp"},
        };
        for (const auto& args : cases) {
            auto r = tool(args);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(args.back() + ": " + r.err, 2, r.status);
            CPPUNIT_ASSERT(r.err.rfind("mtaguard: report", 0) == 0);
        }
    }

    // Yesterday: test.example publishes ri=3600 (hourly reports for the
    // hours with mail), other.example no ri (report_interval: one daily
    // report). A rerun sends nothing new.
    void per_domain_intervals() {
        std::int64_t y = day_ + kDay;
        for (std::int64_t t : {y + 3600 + 600, y + 3600 + 1200, y + 3 * 3600 + 5, y + 7 * 3600}) {
            auto e = evaluation(t, "test.example", "192.0.2.1", "pass");
            e.policy.ri = 3600;
            writer_->record(e);
        }
        for (std::int64_t t : {y + 3600, y + 9 * 3600})
            writer_->record(evaluation(t, "other.example", "192.0.2.7", "pass"));
        writer_->flush();
        auto r = tool({"report", "send"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        auto span = [](std::int64_t b, std::int64_t e) { return std::to_string(b) + ".." + std::to_string(e); };
        // The day before (setUp, no ri): daily reports for both domains.
        const std::set<std::string> expected = {
            "test.example " + span(day_, day_ + kDay),
            "other.example " + span(day_, day_ + kDay),
            "test.example " + span(y + 3600, y + 2 * 3600),
            "test.example " + span(y + 3 * 3600, y + 4 * 3600),
            "test.example " + span(y + 7 * 3600, y + 8 * 3600),
            "other.example " + span(y, y + kDay),
        };
        std::set<std::string> sent_lines;  // from the tool's output
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("sent ", 0) != 0) continue;
            std::istringstream words(line.substr(5));
            std::string domain, range;
            words >> domain >> range;
            sent_lines.insert(domain + " " + range);
        }
        CPPUNIT_ASSERT_MESSAGE(r.out, expected == sent_lines);
        std::set<std::string> mailed;  // from the attachments
        for (const auto& m : sent()) {
            std::string name;
            auto root = unpack(m, name, dir_->path());
            std::int64_t end = std::stoll(*root.value("report_metadata/date_range/end")) + 1;
            mailed.insert(*root.value("policy_published/domain") + " " +
                          *root.value("report_metadata/date_range/begin") + ".." + std::to_string(end));
        }
        CPPUNIT_ASSERT_EQUAL(expected.size(), sent().size());
        CPPUNIT_ASSERT_MESSAGE(r.out, expected == mailed);
        auto again = tool({"report", "send"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.out + again.err, 0, again.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), sent().size());
        CPPUNIT_ASSERT_MESSAGE(again.out, ("\n" + again.out).find("\nsent ") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(again.out, again.out.find("already sent test.example " +
                                                         span(y + 7 * 3600, y + 8 * 3600)) != std::string::npos);
    }

    // Reports the schema must accept although they stretch it: no DKIM
    // result, several reasons (one not a schema type), an IPv6 source, IDN
    // domains (A-label and UTF-8), HELO and MAIL FROM SPF results, np/sp/t
    // published, counts above 1.
    void schema_edge_cases() {
        std::int64_t y = day_ + kDay;
        auto no_dkim = evaluation(y + 10, "test.example", "2001:db8::25", "none");
        no_dkim.dkim.clear();
        no_dkim.dmarc_dkim = "fail";
        no_dkim.dmarc_spf = "fail";
        no_dkim.disposition = "none";
        no_dkim.reasons = {"local_policy", "policy_test_mode", "sampled_out"};
        no_dkim.policy.t = "y";
        no_dkim.policy.sp = "none";
        no_dkim.policy.np = "reject";
        auto idn = evaluation(y + 20, "test.example", "2001:db8::25", "pass");
        idn.header_from = "xn--bcher-kva.test.example";
        idn.envelope_from_domain = "b\u00fccher.test.example";
        idn.envelope_to_domains = {"xn--mnchen-3ya.example", "other.example"};
        idn.spf = {{"mx.sender.example", "", "helo", "pass"}, {"b\u00fccher.test.example", "", "mfrom", "softfail"}};
        idn.policy = no_dkim.policy;  // the last policy of the period is reported
        for (int i = 0; i < 3; ++i) writer_->record(no_dkim);
        writer_->record(idn);
        writer_->record(idn);
        writer_->flush();
        std::string out = dir_->path() + "/edge";
        std::filesystem::create_directory(out);
        auto dump = tool({"report", "dump", "--out", out, "--domain", "test.example", "--period",
                          std::to_string(y) + ".." + std::to_string(y + kDay)});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump.out + dump.err, 0, dump.status);
        std::size_t files = 0;
        for (const auto& f : std::filesystem::directory_iterator(out)) {
            ++files;
            std::string xml = read_file(f.path());
            ASSERT_SCHEMA_VALID("dump", xml, dir_->path());
            auto root = testing::parse_xml(xml).root;
            CPPUNIT_ASSERT(root.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string("y"), *root->value("policy_published/testing"));
            auto records = root->all("record");
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), records.size());
            for (const auto* rec : records) {
                CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::25"), *rec->value("row/source_ip"));
                std::size_t reasons = rec->one("row")->one("policy_evaluated")->all("reason").size();
                CPPUNIT_ASSERT_EQUAL_MESSAGE(xml, std::string(reasons ? "3" : "2"), *rec->value("row/count"));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(xml, std::size_t(reasons ? 3 : 0), reasons);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(xml, reasons > 0, !rec->value("auth_results/dkim/domain").has_value());
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), files);
        // The same report mailed: the unpacked attachment is valid too.
        auto r = tool({"report", "send", "--domain", "test.example", "--period",
                       std::to_string(y) + ".." + std::to_string(y + kDay)});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        auto messages = sent();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), messages.size());
        std::string name;
        unpack(messages[0], name, dir_->path());
    }

    // The check can fail: a report with a required element missing, and one
    // with a value outside the schema's types, are refused.
    void schema_check_can_fail() {
        std::string out = dir_->path() + "/valid";
        std::filesystem::create_directory(out);
        auto dump = tool({"report", "dump", "--out", out, "--domain", "test.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump.out + dump.err, 0, dump.status);
        std::string xml = read_file(std::filesystem::directory_iterator(out)->path());
        ASSERT_SCHEMA_VALID("as dumped", xml, dir_->path());
        const std::pair<std::string, std::string> breakages[] = {
            {"<p>quarantine</p>", ""},
            {"<disposition>none</disposition>", "<disposition>accepted</disposition>"},
            {"<count>2</count>", "<count>two</count>"},
        };
        for (const auto& [from, to] : breakages) {
            std::string broken = xml;
            auto at = broken.find(from);
            CPPUNIT_ASSERT_MESSAGE(from, at != std::string::npos);
            broken.replace(at, from.size(), to);
            ASSERT_SCHEMA_INVALID(from + " -> " + to, broken, dir_->path());
        }
    }

    // Our documents' namespace is the schema's targetNamespace.
    void schema_namespace() {
        auto r = harness::run({"xmllint", "--xpath", "string(/*/@targetNamespace)",
                               harness::srcdir() + "/tests/data/rfc9990-aggregate.xsd"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string(report::kNamespace) + "\n", r.out);
    }

private:
    std::unique_ptr<harness::TempDir> dir_;
    std::unique_ptr<harness::TestDns> dns_;
    std::unique_ptr<report::HistoryWriter> writer_;
    std::string sendmail_;
    std::int64_t day_ = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportIntegrationTest);
