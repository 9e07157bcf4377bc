// store: see store.h for the files of the history environment.
#include "report/store.h"

#include <filesystem>

namespace report {

std::unique_ptr<Store> Store::open(const std::string& dir, bool create, std::string& error) {
    std::error_code ec;
    if (create) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            error = dir + ": " + ec.message();
            return nullptr;
        }
    } else if (!std::filesystem::is_directory(dir, ec)) {
        error = dir + ": no report history (nothing recorded yet)";
        return nullptr;
    }
    auto store = std::unique_ptr<Store>(new Store);
    bdb::Status status;
    store->env_ = bdb::Environment::open(dir, status);
    if (status.ok()) status = store->env_->open_btree("evaluations.db", store->evaluations_);
    if (status.ok()) status = store->env_->open_btree("sent.db", store->sent_);
    if (!status.ok()) {
        error = status.error;
        return nullptr;
    }
    return store;
}

std::vector<std::uint8_t> Store::evaluation_key(std::int64_t time, std::uint32_t pid,
                                                std::uint32_t sequence) {
    std::vector<std::uint8_t> key;
    auto put = [&key](std::uint64_t v, int bytes) {
        for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
            key.push_back(static_cast<std::uint8_t>(v >> shift));
    };
    put(static_cast<std::uint64_t>(time) ^ (1ULL << 63), 8);
    put(pid, 4);
    put(sequence, 4);
    return key;
}

std::int64_t Store::key_time(const DBT& key) {
    if (key.size != 16) return 0;
    const auto* p = static_cast<const std::uint8_t*>(key.data);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return static_cast<std::int64_t>(v ^ (1ULL << 63));
}

std::string Store::sent_key(const std::string& policy_domain, std::int64_t begin,
                            const std::string& destination) {
    std::string key = policy_domain;
    key += '\0';
    key += std::to_string(begin);
    key += '\0';
    key += destination;
    return key;
}

}  // namespace report
