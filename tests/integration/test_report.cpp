// `mtaguard report` end to end: a history written by the library's
// HistoryWriter (what mtaguard-milter uses), reports sent through
// report_sendmail, DNS from ldns-testns for the RFC 9990 §4 check. Each
// delivered message is unpacked (MIME, base64, gzip) and its XML checked;
// a rerun sends nothing new; dump, dry run, purge and usage errors.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../unit/report_mime.h"
#include "../unit/report_xml_reader.h"
#include "config.h"
#include "harness.h"
#include "report/history.h"
#include "report/xml.h"

namespace {

constexpr std::int64_t kDay = 86400;

std::string entry(const std::string& qname, const std::string& flags, const std::string& answer) {
    return "ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR RD RA " + flags +
           "\nSECTION QUESTION\n" + qname + " IN TXT\nSECTION ANSWER\n" + answer + "ENTRY_END\n";
}

// other.example authorizes test.example to receive its reports; nobody
// authorizes for third.example.
std::string zone() {
    return entry("other.example._report._dmarc.test.example.", "NOERROR",
                 "other.example._report._dmarc.test.example. 300 IN TXT \"v=DMARC1\"\n") +
           entry("third.example._report._dmarc.test.example.", "NXDOMAIN", "") +
           // Any other question (the tree walks of organizational domains): NXDOMAIN.
           "ENTRY_BEGIN\nMATCH opcode\nADJUST copy_id copy_query\nREPLY QR RD RA NXDOMAIN\n"
           "SECTION QUESTION\nSECTION ANSWER\nENTRY_END\n";
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

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The report inside a delivered message, parsed; fails the test otherwise.
testing::XmlNode unpack(const std::string& message, std::string& attachment_name) {
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
        auto other = unpack(messages[0], name);
        CPPUNIT_ASSERT_EQUAL(std::string("other.example"), *other.value("policy_published/domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *other.value("record/row/count"));

        auto root = unpack(messages[1], name);
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

private:
    std::unique_ptr<harness::TempDir> dir_;
    std::unique_ptr<harness::TestDns> dns_;
    std::unique_ptr<report::HistoryWriter> writer_;
    std::string sendmail_;
    std::int64_t day_ = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportIntegrationTest);
