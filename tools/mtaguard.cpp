// mtaguard: the command-line tool. Parses the global options (-c FILE,
// -o name=value), loads the configuration and dispatches to a subcommand
// (tools/cmd_*.cpp). Every subcommand only calls lib/.
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "command.h"

namespace tool {
namespace {

struct Command {
    std::string_view name;
    int (*run)(const Context&, Args);
    std::string_view synopsis;
};

constexpr Command kCommands[] = {
    {"config", cmd_config, "config [-n] | config check"},
    {"sts", cmd_sts, "sts parse-record|parse-policy|lookup [--json] ..."},
    {"cache", cmd_cache, "cache [--json] list | show DOMAIN | purge [DOMAIN] | refresh [DOMAIN]"},
    {"dmarc", cmd_dmarc, "dmarc parse|lookup|verify|report-auth|orgdomain [--json] ..."},
    {"authres", cmd_authres, "authres parse [--json] HEADER_VALUE"},
    {"report", cmd_report,
     "report send [--dry-run] [--period START..END] [--domain D] | "
     "report dump --out DIR [--period START..END] [--domain D] | report purge"},
};

int usage() {
    std::cerr << "usage: mtaguard [-c FILE] [-o name=value]... COMMAND [ARGS]\n"
                 "commands:\n";
    for (const auto& c : kCommands) std::cerr << "  mtaguard " << c.synopsis << "\n";
    return kExitUsage;
}

}  // namespace

Operands split_json(Args args) {
    Operands o;
    for (const auto& a : args) {
        if (a == "--json")
            o.json = true;
        else
            o.rest.push_back(a);
    }
    return o;
}

std::unique_ptr<dns::Resolver> make_resolver(const config::Config& cfg, std::string_view what) {
    std::string error;
    auto resolver = dns::resolver_from_config(cfg, error);
    if (!resolver) usage_error(std::string(what) + ": " + error);
    return resolver;
}

int usage_error(std::string_view message) {
    std::cerr << "mtaguard: " << message << "\n";
    return kExitUsage;
}

int config_error(const Context& ctx) {
    for (const auto& e : ctx.config_errors) std::cerr << "mtaguard: " << e.to_string() << "\n";
    return kExitUsage;
}

}  // namespace tool

int main(int argc, char** argv) {
    using namespace tool;
    Context ctx;
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-c" || arg == "-o") {
            if (i + 1 >= argc) return usage_error(arg + " needs an argument");
            std::string value = argv[++i];
            if (arg == "-c") {
                ctx.sources.file = value;
                ctx.sources.file_given = true;
            } else {
                ctx.sources.overrides.push_back(value);
            }
        } else if (arg == "-h" || arg == "--help") {
            usage();
            return kExitOk;
        } else if (!arg.empty() && arg[0] == '-') {
            return usage_error("unknown option " + arg);
        } else {
            break;
        }
    }
    if (i >= argc) return usage();
    std::string name = argv[i];
    std::vector<std::string> args(argv + i + 1, argv + argc);
    ctx.config = config::load(ctx.sources, ctx.config_errors);
    for (const auto& c : kCommands)
        if (c.name == name) return c.run(ctx, args);
    usage_error("unknown command \"" + name + "\"");
    return usage();
}
