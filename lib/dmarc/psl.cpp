// psl: the public suffix list through libpsl; see psl.h.
#include "dmarc/psl.h"

#include <libpsl.h>
#include <sys/stat.h>

#include <mutex>

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

std::shared_ptr<const PublicSuffixList> PublicSuffixList::shared(const config::Config& config) {
    struct Loaded {
        std::string file;
        off_t size = 0;
        timespec mtime{};
        std::shared_ptr<const PublicSuffixList> list;
    };
    static std::mutex mutex;
    static Loaded last;
    const std::string& file = config.str("public_suffix_list");
    struct stat st {};
    if (!file.empty() && ::stat(file.c_str(), &st) != 0) return std::make_shared<PublicSuffixList>(config);  // reports the error
    std::lock_guard lock(mutex);
    if (last.list && last.file == file && last.size == st.st_size && last.mtime.tv_sec == st.st_mtim.tv_sec &&
        last.mtime.tv_nsec == st.st_mtim.tv_nsec)
        return last.list;
    auto list = std::make_shared<const PublicSuffixList>(config);
    if (list->ok()) last = Loaded{file, st.st_size, st.st_mtim, list};
    return list;
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
