// answer: see answer.h.
#include "sts/answer.h"

namespace sts {

Answer answer(std::string_view key, dns::Resolver& resolver, Fetcher& fetcher, PolicyCache& cache, Clock& clock,
              const config::Config& config) {
    Answer out;
    Key k = classify_key(key);
    out.key_kind = k.kind;
    out.reply = kReplyNotFound;
    if (k.kind != KeyKind::Domain) {
        out.detail = k.error;
        return out;
    }
    out.domain = k.domain;
    ReplyOptions options;
    options.tlsrpt_attributes = config.boolean("sts_tlsrpt_attributes");
    options.policy_failure = config.boolean("sts_policy_failure");
    Lookup lookup = lookup_cached(k.domain, cache, clock);
    out.cache_state = lookup.state;
    if (lookup.state != CacheState::Miss) {
        out.reply = cached_reply(lookup, k.domain, options);
        return out;
    }
    GetResult result = get(k.domain, resolver, fetcher, cache, clock, config);
    out.fetched = true;
    out.detail = result.detail;
    out.reply = result_reply(result, k.domain, options);
    return out;
}

}  // namespace sts
