// fake_resolver: a dns::Resolver for unit tests. Answers come from a table
// keyed by (name, type); unknown names answer NXDOMAIN. Counts queries per
// key so tests can assert caching and walk lengths.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "dns.h"
#include "domain.h"

namespace testing {

class FakeResolver : public dns::Resolver {
public:
    void set(std::string_view name, dns::RrType type, dns::Answer answer) {
        table_[{domain::lower(name), type}] = std::move(answer);
    }
    void txt(std::string_view name, std::vector<std::string> texts, std::uint32_t ttl = 300,
             bool authentic = false) {
        dns::Answer a;
        a.status = dns::Status::Ok;
        a.texts = std::move(texts);
        a.ttl = ttl;
        a.authentic = authentic;
        set(name, dns::RrType::TXT, std::move(a));
    }
    void fail(std::string_view name, dns::RrType type, dns::Status status) {
        dns::Answer a;
        a.status = status;
        set(name, type, std::move(a));
    }

    dns::Answer query(std::string_view name, dns::RrType type) override {
        std::string key = domain::lower(name);
        if (!key.empty() && key.back() == '.') key.pop_back();
        ++counts_[{key, type}];
        ++total_;
        auto it = table_.find({key, type});
        if (it != table_.end()) return it->second;
        dns::Answer a;
        a.status = dns::Status::NxDomain;
        return a;
    }

    int count(std::string_view name, dns::RrType type) const {
        auto it = counts_.find({domain::lower(name), type});
        return it == counts_.end() ? 0 : it->second;
    }
    int total() const { return total_; }
    void reset_counts() {
        counts_.clear();
        total_ = 0;
    }

private:
    using Key = std::pair<std::string, dns::RrType>;
    std::map<Key, dns::Answer> table_;
    std::map<Key, int> counts_;
    int total_ = 0;
};

}  // namespace testing
