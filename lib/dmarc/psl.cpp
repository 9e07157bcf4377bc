// psl: the public suffix list through libpsl; see psl.h.
#include "dmarc/psl.h"

#include <libpsl.h>

#include "domain.h"

namespace dmarc {

void PublicSuffixList::Deleter::operator()(psl_ctx_st* ctx) const { psl_free(ctx); }

PublicSuffixList::PublicSuffixList(const config::Config& config) {
    const std::string& file = config.str("public_suffix_list");
    if (!file.empty()) {
        owned_.reset(psl_load_file(file.c_str()));
        ctx_ = owned_.get();
    } else if (!(ctx_ = psl_builtin())) {
        owned_.reset(psl_latest(nullptr));
        ctx_ = owned_.get();
    }
    // A local fault: callers report temperror, so mail waits for the fix
    // instead of passing unchecked.
    if (!ctx_) error_ = "cannot load the public suffix list " + (file.empty() ? std::string("(built-in)") : file);
}

std::string PublicSuffixList::orgdomain(std::string_view name) const {
    // RFC 7489 §3.2 steps 2-4: the longest public suffix, plus one label.
    std::string_view child;
    for (std::string_view s = name; !s.empty(); child = s, s = domain::parent(s)) {
        std::string candidate(s);
        if (psl_is_public_suffix2(ctx_, candidate.c_str(), PSL_TYPE_ICANN)) return std::string(child.empty() ? s : child);
    }
    return std::string(name);
}

}  // namespace dmarc
