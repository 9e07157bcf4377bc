// discovery: where the DMARC policy of a domain is published, and the
// organizational domain used for relaxed alignment.
//
// dmarc_discovery = treewalk (RFC 9989 §4.10): query _dmarc.<domain>, then
// walk up the labels; a name of eight or more labels jumps straight to its
// last seven, so a walk makes at most kMaxWalkQueries queries; a record with
// psd=y or psd=n ends the walk. The organizational domain (§4.10.2): psd=n
// marks it, psd=y marks its parent as a PSD (the organizational domain is
// the child toward the domain), otherwise the highest name with a record,
// otherwise the domain itself. The policy (§4.10.1): the record at the
// author domain, else the one at the organizational domain, else the PSD's.
// dmarc_discovery = psl (RFC 7489 §6.6.3): _dmarc.<domain>, then
// _dmarc.<organizational domain>, the latter from the ICANN section of the
// public suffix list (RFC 7489 §3.2, psl.h); a list that cannot be loaded
// is a temperror.
// At one name: TXT strings not starting with v=DMARC1 are ignored, several
// DMARC records mean there is no policy at that name (RFC 7489 §6.6.3,
// RFC 9989 §4.10 step 2), one DMARC record with a syntax error is a
// permerror and ends discovery. SERVFAIL or timeout: temperror.
// `authentic` is true when every answer used had the AD bit.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "dmarc/psl.h"
#include "dmarc/record.h"
#include "dns.h"

namespace dmarc {

inline constexpr std::size_t kMaxWalkQueries = 8;  // RFC 9989 §4.10
inline constexpr std::size_t kWalkJumpLabels = 7;  // RFC 9989 §4.10 step 6

// A TXT answer with every string parsed as a DMARC record, so that a
// caching resolver can keep records parsed for as long as it keeps the
// answer (the answer's ttl is as received, not reduced by age).
struct ParsedTxt {
    dns::Answer answer;
    std::vector<RecordParse> records;  // records[i] is parse_record(answer.texts[i])
};
std::shared_ptr<const ParsedTxt> parse_txt(dns::Answer answer);

// Implemented by resolvers that keep TXT answers parsed (dmarc/cache.h);
// discovery asks through it when the resolver offers it.
class TxtRecordSource {
public:
    virtual std::shared_ptr<const ParsedTxt> query_txt(std::string_view name) = 0;

protected:
    ~TxtRecordSource() = default;
};
// The parsed TXT answer at `name`: through TxtRecordSource when `resolver`
// is one, else asked and parsed here.
std::shared_ptr<const ParsedTxt> query_txt(dns::Resolver& resolver, std::string_view name);

enum class Method { TreeWalk, Psl };
Method discovery_method(const config::Config& config);
std::string_view method_name(Method m);  // "tree walk" / "public suffix list"

enum class LookupStatus { Found, None, PermError, TempError };
std::string_view lookup_status_name(LookupStatus s);  // "found", "none", "permerror", "temperror"

// The outcome of policy discovery for one domain.
struct Lookup {
    LookupStatus status = LookupStatus::None;
    std::optional<std::string> domain;  // where the record (or the broken one) is
    std::optional<std::string> txt;
    std::shared_ptr<const Record> record;  // points into the parsed DNS answer (see ParsedTxt)
    std::vector<std::string> warnings;  // from the record parser
    std::vector<std::string> queried;   // names asked, in order: "_dmarc.example.com"
    std::vector<std::string> notes;     // "2 DMARC records at _dmarc.x: ignored"
    bool authentic = false;
    std::string error;
};

struct OrgDomain {
    bool ok = false;      // false: temporary DNS failure (error says which)
    std::string domain;   // the organizational domain
    int queries = 0;      // DNS queries the walk asked (0 for psl)
    bool authentic = false;
    std::string error;
};

// `psl`: a list already loaded (dmarc_discovery = psl); null loads one.
// `org`, when given, receives orgdomain(domain): with a tree walk, from the
// same walk (one walk per author domain instead of two).
Lookup lookup_policy(std::string_view domain, dns::Resolver& resolver, const config::Config& config,
                     const PublicSuffixList* psl = nullptr, OrgDomain* org = nullptr);

OrgDomain orgdomain(std::string_view domain, dns::Resolver& resolver, const config::Config& config,
                    const PublicSuffixList* psl = nullptr);

// The names a tree walk starting at `domain` visits, in order (RFC 9989 §4.10).
std::vector<std::string> walk_names(std::string_view domain);

}  // namespace dmarc
