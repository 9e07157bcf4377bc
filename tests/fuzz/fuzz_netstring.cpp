// Fuzz target: the incremental netstring decoder, fed the input whole and
// byte by byte; both must yield the same payloads and the same verdict, and
// every payload must re-encode to the bytes it came from.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "netstring.h"
#include "target.h"

namespace {

struct Outcome {
    std::vector<std::string> payloads;
    bool error = false;
};

Outcome decode(std::string_view input, std::size_t chunk) {
    Outcome out;
    netstring::Decoder decoder(1000);
    for (std::size_t pos = 0; pos < input.size() && !out.error; pos += chunk) {
        std::string_view piece = input.substr(pos, chunk);
        for (;;) {
            auto status = decoder.feed(piece);
            if (status == netstring::Decoder::Status::Message) {
                out.payloads.emplace_back(decoder.payload());
                continue;
            }
            out.error = status == netstring::Decoder::Status::Error;
            break;
        }
    }
    return out;
}

}  // namespace

MTAGUARD_FUZZ_TARGET(netstring) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    Outcome whole = decode(input, input.size() + 1);
    Outcome bytewise = decode(input, 1);
    if (whole.payloads != bytewise.payloads || whole.error != bytewise.error) std::abort();
    std::string wire;
    for (const auto& p : whole.payloads) wire += netstring::encode(p);
    if (input.substr(0, wire.size()) != wire) std::abort();
    return 0;
}
