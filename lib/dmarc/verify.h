// verify: DMARC for one author domain: policy discovery (dmarc_discovery),
// identifier alignment, policy selection (p/sp/np), t=y and pct.
//
// CONTRACT (written before the implementation; keep these names):
// verify() takes the author (RFC5322.From) domain and the SPF and DKIM
// results that count (already filtered by trust in evaluate) and returns the
// DomainResult. `roll` is the sampling draw in 0..99 for pct (RFC 7489 §6.6.4:
// apply the policy when roll < pct); -1 draws a random number. Temporary DNS
// failures give Status::TempError; a malformed record Status::PermError.
#pragma once

#include <string_view>
#include <vector>

#include "config.h"
#include "dmarc/result.h"
#include "dns.h"

namespace dmarc {

DomainResult verify(std::string_view author_domain, const std::vector<AuthFact>& spf,
                    const std::vector<AuthFact>& dkim, dns::Resolver& resolver,
                    const config::Config& config, int roll = -1);

}  // namespace dmarc
