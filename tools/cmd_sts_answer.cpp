// mtaguard sts answer [--json] KEY: the socketmap reply mtaguard-policyd
// would send for KEY now (sts/answer.h): from the policy cache in
// cache_dir, fetching (and caching) on a miss. The reply is printed exactly,
// between no quotes, on one line ("NOTFOUND " keeps its trailing space).
// Exit: 0 a policy is enforced (OK), 1 NOTFOUND, 2 usage/configuration
// error, 75 the cache cannot be opened.
#include <iostream>

#include "command.h"
#include "json.h"
#include "sts/answer.h"
#include "sts/cache.h"

namespace tool {

int cmd_sts_answer(const Context& ctx, Args args) {
    Operands o = split_json(args);
    if (o.rest.size() != 1) return usage_error("usage: mtaguard sts answer [--json] KEY");
    if (!ctx.config) return config_error(ctx);
    const config::Config& config = *ctx.config;
    bdb::Status status;
    auto cache = sts::PolicyCache::open(config, status);
    if (!cache) {
        std::cerr << "mtaguard: policy cache " << config.str("cache_dir") << ": " << status.error << "\n";
        return kExitTempFail;
    }
    auto resolver = make_resolver(config, "sts answer");
    if (!resolver) return kExitUsage;
    auto fetcher = sts::make_https_fetcher(config);
    sts::SystemClock clock;
    sts::Answer a = sts::answer(o.rest[0], *resolver, *fetcher, *cache, clock, config);
    if (o.json) {
        json::Value v = json::Value::object();
        v.set("key", o.rest[0]);
        v.set("key_kind", std::string(sts::key_kind_name(a.key_kind)));
        v.set("domain", json::Value::null_if_empty(a.domain));
        v.set("reply", a.reply);
        v.set("cache", a.key_kind == sts::KeyKind::Domain ? json::Value(std::string(sts::cache_state_name(a.cache_state)))
                                                           : json::Value());
        v.set("fetched", a.fetched);
        v.set("detail", a.detail);
        std::cout << v.dump() << "\n";
    } else {
        std::cout << a.reply << "\n";
    }
    return a.reply.starts_with("OK") ? kExitOk : kExitNegative;
}

}  // namespace tool
