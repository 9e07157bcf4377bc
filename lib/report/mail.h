// mail: delivering an aggregate report by mail (RFC 9990 §2.5, §3;
// RFC 7489 §7.2.1.1 for the RUA URI size suffix).
//
// parse_destination()  one `rua` URI: mailto: only, `!size` suffix with k/m/g/t
//                      units (powers of two); the address is bounded and must
//                      be a plain local@domain without white space or control
//                      characters (it ends up on a command line and in a header).
// build_message()      the RFC 5322 / MIME message: Subject "Report Domain: D
//                      Submitter: S Report-ID: ID", multipart/mixed with a
//                      short text part and the application/gzip report, base64,
//                      named receiver!policy-domain!begin!end!id.xml.gz.
//                      Auto-Submitted: auto-generated (RFC 3834) so that
//                      responders and our own milter recognise it.
// send_message()       pipes the message to `report_sendmail -i -f FROM -- TO`
//                      (fork/exec, no shell); waits at most kSendTimeout.
// ReportAuth           the external-destination check of RFC 9990 §4 behind an
//                      interface (DnsReportAuth: organizational domains compared
//                      under dmarc_discovery (dmarc::orgdomain), then the TXT
//                      record <policy-domain>._report._dmarc.<destination>
//                      (dmarc::check_report_destination)).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "dns.h"

namespace report {

inline constexpr std::size_t kMaxAddress = 254;  // RFC 5321 §4.5.3.1.3 path minus brackets
inline constexpr std::chrono::seconds kSendTimeout{120};

struct Destination {
    std::string uri;      // as published
    std::string address;  // local@domain
    std::string domain;   // lowercase
    std::optional<std::uint64_t> max_bytes;
};

struct ParsedDestination {
    std::optional<Destination> destination;
    std::string error;  // why the URI is not usable
};
ParsedDestination parse_destination(const std::string& uri);

struct MessageParts {
    std::string from;           // report_email
    std::string to;             // destination address
    std::string receiver;       // our domain (Submitter, file name)
    std::string policy_domain;
    std::int64_t begin = 0;     // file name timestamps
    std::int64_t end = 0;
    std::string report_id;
    std::int64_t date = 0;      // Date: header, seconds since the epoch
    std::vector<std::uint8_t> gzipped_xml;
};
std::string attachment_name(const MessageParts& parts);
std::string build_message(const MessageParts& parts);
std::string base64(const std::vector<std::uint8_t>& data);  // 76-column lines, LF

struct SendResult {
    bool ok = false;
    std::string error;  // exit status or signal of sendmail, or why it did not run
};
SendResult send_message(const std::string& sendmail, const std::string& from, const std::string& to,
                        const std::string& message);

// RFC 9990 §4: may reports about `policy_domain` go to `destination_domain`?
enum class AuthDecision { Authorized, Refused, TempError };
class ReportAuth {
public:
    virtual ~ReportAuth() = default;
    virtual AuthDecision authorize(const std::string& policy_domain,
                                   const std::string& destination_domain) = 0;
};

class DnsReportAuth : public ReportAuth {
public:
    DnsReportAuth(dns::Resolver& resolver, const config::Config& config) : resolver_(resolver), config_(config) {}
    AuthDecision authorize(const std::string& policy_domain,
                           const std::string& destination_domain) override;

private:
    dns::Resolver& resolver_;
    const config::Config& config_;
};

// RFC 9990 §2.5 dmarc-subject: "Report" 1*FWS "Domain:" 1*FWS domain
// 1*FWS "Submitter:" ... (case-sensitive, %s). mtaguard-milter flags such
// messages (Evaluation::is_report) so that reports are never reported on.
bool is_report_subject(std::string_view subject);

// The organizational domain under the public suffix list (libpsl's built-in
// list): the registrable domain, or the name itself when it has none.
std::string psl_org_domain(const std::string& domain);

}  // namespace report
