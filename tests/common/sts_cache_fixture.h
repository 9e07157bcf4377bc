// sts_cache_fixture: what the PolicyCache tests share (unit tests in
// tests/unit/test_sts_cache.cpp, durability in
// tests/integration/test_sts_cache_durability.cpp): a row with every field
// set, opening a cache as an assertion, and running a body in a forked
// process (the CLI beside the daemon). Failures are CppUnit assertions.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sts/cache.h"

namespace testing {

// A row for `domain` whose times are all `t` (seconds), valid for a day.
inline sts::CacheRow make_row(const std::string& domain, sts::Mode mode, std::int64_t t) {
    sts::CacheRow row;
    row.domain = domain;
    row.inserted = row.last_update = row.last_use = row.last_checked = sts::Seconds(std::chrono::seconds(t));
    row.valid_until = row.inserted + std::chrono::seconds(86400);
    row.record_id = "id" + std::to_string(t);
    row.policy.mode = mode;
    row.policy.max_age = 86400;
    row.policy.mx = {"mx." + domain};
    row.policy_text = "version: STSv1\nmode: enforce\nmx: mx." + domain + "\nmax_age: 86400\n";
    return row;
}

// Opens the cache in `dir`; a failure fails the test with the error.
inline std::unique_ptr<sts::PolicyCache> open_cache(const std::string& dir) {
    bdb::Status status;
    auto cache = sts::PolicyCache::open(dir, status);
    CPPUNIT_ASSERT_MESSAGE(status.error, cache != nullptr);
    return cache;
}

// Runs `body` in a child process; returns its exit status (0: body returned
// true, 1: false, 128: it did not exit).
inline int in_child(const std::function<bool()>& body) {
    pid_t pid = ::fork();
    if (pid < 0) return 128;
    if (pid == 0) ::_exit(body() ? 0 : 1);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace testing
