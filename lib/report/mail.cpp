// mail: see mail.h.
#include "report/mail.h"

#include "dmarc/discovery.h"
#include "dmarc/report_auth.h"

#include <libpsl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>

namespace report {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool iequals_prefix(const std::string& s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

// RFC 7489 §6.2: size = 1*DIGIT [ "k" / "m" / "g" / "t" ], units powers of two.
std::optional<std::uint64_t> parse_size(const std::string& text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::uint64_t value = 0;
    std::size_t i = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
        value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (i == 0) return std::nullopt;
    if (i == text.size()) return value;
    if (i + 1 != text.size()) return std::nullopt;
    switch (std::tolower(static_cast<unsigned char>(text[i]))) {
    case 'k': return value << 10;
    case 'm': return value << 20;
    case 'g': return value << 30;
    case 't': return value << 40;
    default: return std::nullopt;
    }
}

bool plain_address_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '<' && c != '>' && c != '(' && c != ')' && c != ',' &&
           c != ';' && c != '"' && c != '\\' && c != '[' && c != ']';
}

std::string rfc5322_date(std::int64_t when) {
    std::time_t t = static_cast<std::time_t>(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

// A file descriptor closed when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd() { if (fd >= 0) close(fd); }
};

bool write_all(int fd, const std::string& data, std::string& error) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = std::string("writing to sendmail: ") + std::strerror(errno);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

SendResult wait_child(pid_t pid) {
    SendResult result;
    auto deadline = std::chrono::steady_clock::now() + kSendTimeout;
    int status = 0;
    for (;;) {
        pid_t rc = waitpid(pid, &status, WNOHANG);
        if (rc == pid) break;
        if (rc < 0 && errno != EINTR) {
            result.error = std::string("waitpid: ") + std::strerror(errno);
            return result;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            result.error = "sendmail timed out";
            return result;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        result.ok = true;
    } else if (WIFEXITED(status)) {
        result.error = "sendmail exited with status " + std::to_string(WEXITSTATUS(status));
    } else {
        result.error = "sendmail killed by signal " + std::to_string(WTERMSIG(status));
    }
    return result;
}

}  // namespace

ParsedDestination parse_destination(const std::string& uri) {
    ParsedDestination out;
    if (!iequals_prefix(uri, "mailto:")) {
        out.error = "not a mailto: URI";
        return out;
    }
    std::string rest = uri.substr(7);
    Destination d;
    d.uri = uri;
    if (auto bang = rest.rfind('!'); bang != std::string::npos) {
        d.max_bytes = parse_size(rest.substr(bang + 1));
        if (!d.max_bytes) {
            out.error = "bad size limit";
            return out;
        }
        rest.resize(bang);
    }
    auto at = rest.rfind('@');
    if (rest.empty() || rest.size() > kMaxAddress || at == std::string::npos || at == 0 ||
        at + 1 == rest.size()) {
        out.error = "not a plain mail address";
        return out;
    }
    for (char c : rest)
        if (!plain_address_char(c)) {
            out.error = "not a plain mail address";
            return out;
        }
    if (rest.front() == '-') {  // never an option to sendmail
        out.error = "address starts with '-'";
        return out;
    }
    d.address = rest;
    d.domain = lower(rest.substr(at + 1));
    out.destination = std::move(d);
    return out;
}

std::string attachment_name(const MessageParts& p) {
    // RFC 9990 §2.5: receiver "!" policy-domain "!" begin "!" end "!" unique-id ".xml.gz"
    return p.receiver + "!" + p.policy_domain + "!" + std::to_string(p.begin) + "!" +
           std::to_string(p.end) + "!" + p.report_id + ".xml.gz";
}

std::string base64(const std::vector<std::uint8_t>& data) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t column = 0;
    for (std::size_t i = 0; i < data.size(); i += 3) {
        std::uint32_t n = static_cast<std::uint32_t>(data[i]) << 16;
        if (i + 1 < data.size()) n |= static_cast<std::uint32_t>(data[i + 1]) << 8;
        if (i + 2 < data.size()) n |= data[i + 2];
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
        column += 4;
        if (column == 76) {  // RFC 2045 §6.8: lines of at most 76 characters
            out += '\n';
            column = 0;
        }
    }
    if (column != 0) out += '\n';
    return out;
}

std::string build_message(const MessageParts& p) {
    std::string name = attachment_name(p);
    std::string boundary = "=_mtaguard_" + p.report_id;
    std::string m;
    m += "From: " + p.from + "\n";
    m += "To: " + p.to + "\n";
    // RFC 9990 §2.5: dmarc-subject
    m += "Subject: Report Domain: " + p.policy_domain + " Submitter: " + p.receiver +
         " Report-ID: " + p.report_id + "\n";
    m += "Date: " + rfc5322_date(p.date) + "\n";
    m += "Message-ID: <" + p.report_id + "." + std::to_string(p.date) + "@" + p.receiver + ">\n";
    m += "Auto-Submitted: auto-generated\n";  // RFC 3834 §5
    m += "MIME-Version: 1.0\n";
    m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n";
    m += "This is a MIME-formatted DMARC aggregate report.\n\n";
    m += "--" + boundary + "\n";
    m += "Content-Type: text/plain; charset=us-ascii\n";
    m += "Content-Transfer-Encoding: 7bit\n\n";
    m += "DMARC aggregate report (RFC 9990) for " + p.policy_domain + " from " + p.receiver +
         ",\ncovering " + std::to_string(p.begin) + " to " + std::to_string(p.end) +
         " (seconds since the epoch, UTC).\n\n";
    m += "--" + boundary + "\n";
    // RFC 9990 §2.5: media type application/gzip (RFC 6713), file name as above
    m += "Content-Type: application/gzip; name=\"" + name + "\"\n";
    m += "Content-Transfer-Encoding: base64\n";
    m += "Content-Disposition: attachment; filename=\"" + name + "\"\n\n";
    m += base64(p.gzipped_xml);
    m += "\n--" + boundary + "--\n";
    return m;
}

SendResult send_message(const std::string& sendmail, const std::string& from, const std::string& to,
                        const std::string& message) {
    SendResult result;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        result.error = std::string("socketpair: ") + std::strerror(errno);
        return result;
    }
    Fd parent{pair[0]};
    Fd child_end{pair[1]};
    timeval timeout{static_cast<time_t>(kSendTimeout.count()), 0};
    setsockopt(parent.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    pid_t pid = fork();
    if (pid < 0) {
        result.error = std::string("fork: ") + std::strerror(errno);
        return result;
    }
    if (pid == 0) {
        dup2(child_end.fd, STDIN_FILENO);
        execl(sendmail.c_str(), sendmail.c_str(), "-i", "-f", from.c_str(), "--", to.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    close(child_end.fd);
    child_end.fd = -1;
    std::string write_error;
    bool written = write_all(parent.fd, message, write_error);
    shutdown(parent.fd, SHUT_WR);
    result = wait_child(pid);
    if (result.ok && !written) {
        result.ok = false;
        result.error = write_error;
    }
    if (!result.ok && result.error == "sendmail exited with status 127")
        result.error = sendmail + ": cannot run";
    return result;
}

bool is_report_subject(std::string_view subject) {
    std::vector<std::string> words;  // split on FWS (white space, folded or not)
    std::string word;
    for (char c : subject) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
            if (words.size() > 4) break;
        } else {
            word += c;
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words.size() >= 5 && words[0] == "Report" && words[1] == "Domain:" &&
           words[3] == "Submitter:";
}

std::string psl_org_domain(const std::string& domain) {
    const char* registrable = psl_registrable_domain(psl_builtin(), domain.c_str());
    return registrable != nullptr ? std::string(registrable) : domain;
}

AuthDecision DnsReportAuth::authorize(const std::string& policy_domain,
                                      const std::string& destination_domain) {
    std::string policy = lower(policy_domain);
    std::string dest = lower(destination_domain);
    // RFC 9990 §4: the check applies when the organizational domains differ.
    dmarc::OrgDomain policy_org = dmarc::orgdomain(policy, resolver_, config_);
    dmarc::OrgDomain dest_org = dmarc::orgdomain(dest, resolver_, config_);
    if (!policy_org.ok || !dest_org.ok) return AuthDecision::TempError;
    if (policy_org.domain == dest_org.domain) return AuthDecision::Authorized;
    // RFC 9990 §4 steps 1-8: a TXT record starting with v=DMARC1 at
    // <policy-domain>._report._dmarc.<destination host>.
    dmarc::ReportAuth auth = dmarc::check_report_destination(policy, dest, resolver_);
    if (auth.status == dmarc::LookupStatus::TempError) return AuthDecision::TempError;  // step 5
    return auth.accepts ? AuthDecision::Authorized : AuthDecision::Refused;
}

}  // namespace report
