// target: how a fuzz target is written once and built twice.
//
//   MTAGUARD_FUZZ_TARGET(config) { ...feed data/size to a parser...; return 0; }
//
// With --enable-fuzzing each target file becomes its own libFuzzer binary
// (tests/fuzz/fuzz-<name>); in every build the replay runner links all
// targets and replays tests/fuzz/corpus/<name>/* in `make check`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzz {
using Function = int (*)(const std::uint8_t*, std::size_t);
bool register_target(const char* name, Function function);
}  // namespace fuzz

#ifdef MTAGUARD_LIBFUZZER
#define MTAGUARD_FUZZ_TARGET(name)                                                   \
    static int fuzz_one(const std::uint8_t* data, std::size_t size);                 \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        return fuzz_one(data, size);                                                 \
    }                                                                                \
    static int fuzz_one(const std::uint8_t* data, std::size_t size)
#else
#define MTAGUARD_FUZZ_TARGET(name)                                                  \
    static int fuzz_one(const std::uint8_t* data, std::size_t size);                \
    [[maybe_unused]] static const bool registered_##name =                         \
        fuzz::register_target(#name, fuzz_one);                                     \
    static int fuzz_one(const std::uint8_t* data, std::size_t size)
#endif
