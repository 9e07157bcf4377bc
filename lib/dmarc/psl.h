// psl: the public suffix list as RFC 7489 uses it (dmarc_discovery = psl).
//
// RFC 7489 §3.2: the organizational domain is the public suffix plus one
// label. Only the ICANN section counts: private registrations such as
// blogspot.com are not registries for DMARC. A name that is itself a public
// suffix is its own organizational domain. The list is libpsl's built-in
// one (or, when libpsl was built without one, the system's latest), or the
// file named by public_suffix_list (a few ms to load for the full list).
// A list that cannot be loaded leaves ok() false. shared() loads a file once
// and hands the same list to every message until the file changes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config.h"

struct psl_ctx_st;  // libpsl's psl_ctx_t

namespace dmarc {

class PublicSuffixList {
public:
    explicit PublicSuffixList(const config::Config& config);
    // The list for `config`, shared: a file is read again only when its
    // path, size or modification time changes (a list that failed to load
    // is not kept, so the next call tries again). Thread-safe.
    static std::shared_ptr<const PublicSuffixList> shared(const config::Config& config);
    bool ok() const { return ctx_ != nullptr; }
    const std::string& error() const { return error_; }
    // `name`: lowercase A-labels, no trailing dot. Requires ok().
    std::string orgdomain(std::string_view name) const;

private:
    struct Deleter {
        void operator()(psl_ctx_st* ctx) const;
    };
    std::unique_ptr<psl_ctx_st, Deleter> owned_;
    const psl_ctx_st* ctx_ = nullptr;  // owned_ or libpsl's static built-in list
    std::string error_;
};

}  // namespace dmarc
