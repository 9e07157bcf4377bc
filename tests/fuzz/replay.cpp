// replay: runs every registered fuzz target over its checked-in corpus
// (tests/fuzz/corpus/<target>/) without libFuzzer, so `make check` catches a
// crash or sanitizer report on any input a fuzzer once found interesting.
// A target with an empty or missing corpus is a failure: a replay that
// executes nothing proves nothing.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "target.h"

namespace fuzz {

static std::map<std::string, Function>& targets() {
    static std::map<std::string, Function> t;
    return t;
}

bool register_target(const char* name, Function function) {
    targets()[name] = function;
    return true;
}

}  // namespace fuzz

int main() {
    const char* srcdir = std::getenv("MTAGUARD_SRCDIR");
    std::filesystem::path corpus = std::filesystem::path(srcdir ? srcdir : ".") / "tests/fuzz/corpus";
    int passed = 0, failed = 0;
    for (const auto& [name, function] : fuzz::targets()) {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(corpus / name, ec))
            if (e.is_regular_file()) files.push_back(e.path());
        if (files.empty()) {
            std::cout << name << ": no corpus in " << (corpus / name).string() << " FAILED\n";
            ++failed;
            continue;
        }
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            function(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
            ++passed;  // a crash or sanitizer report ends the process instead
        }
        std::cout << name << ": " << files.size() << " inputs replayed\n";
    }
    std::cout << passed << " passed, " << failed << " failed" << std::endl;
    return failed == 0 && passed > 0 ? 0 : 1;
}
