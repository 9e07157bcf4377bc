// mtaguard report: DMARC aggregate reports (RFC 9990) from the history
// mtaguard-milter records.
//
//   report send [--dry-run] [--period START..END] [--domain D]
//   report dump --out DIR [--period START..END] [--domain D]
//   report purge
//
// One line per destination (or file) on stdout. Exit status: 0 done (also
// when nothing was due or nothing was ever recorded), 1 --period/--domain
// matched no report, 2 usage or configuration error, 75 a temporary failure
// (history unreadable, sendmail failed, DNS temporary error): the timer's
// next run retries what was not sent.
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include "command.h"
#include "dns.h"
#include "report/history.h"
#include "report/run.h"

namespace tool {
namespace {

struct ReportArgs {
    std::string verb;
    report::RunOptions options;
};

// Fills `parsed`; returns the usage error, if any.
std::optional<std::string> parse_args(Args args, ReportArgs& parsed) {
    if (args.empty()) return "report: expected send, dump or purge";
    parsed.verb = args[0];
    if (parsed.verb != "send" && parsed.verb != "dump" && parsed.verb != "purge")
        return "report: unknown subcommand \"" + parsed.verb + "\"";
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        bool has_value = i + 1 < args.size();
        if (a == "--dry-run" && parsed.verb == "send") {
            parsed.options.dry_run = true;
        } else if (a == "--period" && has_value && parsed.verb != "purge") {
            parsed.options.range = report::parse_period(args[++i]);
            if (!parsed.options.range) return "report: bad --period \"" + args[i] + "\"";
        } else if (a == "--domain" && has_value && parsed.verb != "purge") {
            parsed.options.domain = args[++i];
        } else if (a == "--out" && has_value && parsed.verb == "dump") {
            parsed.options.dump_dir = args[++i];
        } else {
            return "report " + parsed.verb + ": unexpected argument \"" + a + "\"";
        }
    }
    if (parsed.verb == "dump" && parsed.options.dump_dir.empty()) return "report dump: --out DIR is required";
    return std::nullopt;
}

void print(const report::Outcome& o) {
    std::cout << o.action << " " << o.policy_domain << " " << o.period.begin << ".." << o.period.end
              << " " << o.destination;
    if (o.bytes > 0) std::cout << " (" << o.bytes << " bytes)";
    if (!o.detail.empty()) std::cout << ": " << o.detail;
    std::cout << "\n";
}

int purge(const config::Config& config, std::int64_t now) {
    std::string error;
    auto history = report::open_history_reader(config, false, error);
    if (!history) {
        std::cout << "nothing to purge: " << error << "\n";
        return kExitOk;
    }
    std::int64_t before = now - config.duration("report_retention").count() / 1000;
    long long removed = history->purge(before, error);
    if (removed < 0) {
        std::cerr << "mtaguard: report purge: " << error << "\n";
        return kExitTempFail;
    }
    std::cout << "purged " << removed << " rows older than " << before << "\n";
    return kExitOk;
}

}  // namespace

int cmd_report(const Context& ctx, Args args) {
    ReportArgs parsed;
    if (auto error = parse_args(args, parsed)) return usage_error(*error);
    std::string error;
    if (!ctx.config) return config_error(ctx);
    const config::Config& config = *ctx.config;
    parsed.options.now = static_cast<std::int64_t>(std::time(nullptr));
    if (parsed.verb == "purge") return purge(config, parsed.options.now);

    auto resolver = make_resolver(config, "report " + parsed.verb);
    if (!resolver) return kExitUsage;
    auto history = report::open_history_reader(config, false, error);
    if (!history) {
        std::cout << "nothing to report: " << error << "\n";
        return parsed.options.range || parsed.options.domain ? kExitNegative : kExitOk;
    }
    report::DnsReportAuth auth(*resolver, config);
    report::RunResult result = report::run_reports(config, *history, auth, parsed.options);
    if (!result.error.empty()) {
        std::cerr << "mtaguard: report: " << result.error << "\n";
        return kExitTempFail;
    }
    for (const auto& o : result.outcomes) print(o);
    if (result.temp_failure) return kExitTempFail;
    if (result.reports == 0 && (parsed.options.range || parsed.options.domain)) {
        std::cout << "no report for the selection\n";
        return kExitNegative;
    }
    return kExitOk;
}

}  // namespace tool
