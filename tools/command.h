// command: what every `mtaguard` subcommand receives and the exit statuses of
// the command-line contract (DESIGN.md): 0 success/valid/found, 1 a definite
// negative answer, 2 usage or configuration error, 75 temporary failure.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "dns.h"

namespace tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNegative = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitTempFail = 75;  // EX_TEMPFAIL

struct Context {
    std::shared_ptr<const config::Config> config;  // null when loading failed
    std::vector<config::Error> config_errors;
    config::Sources sources;
};

// Arguments after the subcommand name.
using Args = std::span<const std::string>;

// A subcommand's arguments with "--json" (anywhere) taken out; the rest are
// operands, in order.
struct Operands {
    bool json = false;
    std::vector<std::string> rest;
};
Operands split_json(Args args);

// The resolver of dns_nameservers and dns_timeout; nullptr, after printing
// "mtaguard: <what>: <reason>" on stderr, when no nameserver is usable.
std::unique_ptr<dns::Resolver> make_resolver(const config::Config& cfg, std::string_view what);

// Prints "mtaguard: <message>" on stderr and returns kExitUsage.
int usage_error(std::string_view message);
// Prints configuration errors on stderr and returns kExitUsage.
int config_error(const Context& ctx);

int cmd_config(const Context& ctx, Args args);
// sts parse-record|parse-policy|lookup (tools/cmd_sts.cpp, table kStsCommands).
int cmd_sts(const Context& ctx, Args args);
// sts answer: what mtaguard-policyd would reply now (tools/cmd_sts_answer.cpp).
int cmd_sts_answer(const Context& ctx, Args args);
int cmd_cache(const Context& ctx, Args args);
int cmd_dmarc(const Context& ctx, Args args);
int cmd_authres(const Context& ctx, Args args);
int cmd_report(const Context& ctx, Args args);

}  // namespace tool
