// fetch_wire: see fetch_wire.h.
#include "sts/fetch_wire.h"

#include "binary.h"

namespace sts::fetch_wire {
namespace {

constexpr std::uint8_t kVersion = 1;

}  // namespace

std::string encode_reply(const FetchResult& result) {
    binary::Writer w;
    w.u8(kVersion);
    w.u8(static_cast<std::uint8_t>(result.failure));
    w.str(result.failure_reason, kMaxReason);
    w.str(result.error, kMaxError);
    w.text(result.text, kMaxPolicySize);
    return w.take();
}

bool decode_reply(std::string_view payload, FetchResult& out, std::string& error) {
    binary::Reader r(payload);
    std::uint8_t version = r.u8("version");
    std::uint8_t failure = r.u8("failure");
    out.failure_reason = r.str(kMaxReason, "failure reason");
    out.error = r.str(kMaxError, "error");
    out.text = r.text(kMaxPolicySize, "policy text");
    if (!r.ok()) {
        error = r.error();
        return false;
    }
    if (version != kVersion) {
        error = "unknown reply version " + std::to_string(version);
        return false;
    }
    if (failure > static_cast<std::uint8_t>(FetchFailure::WebPkiInvalid)) {
        error = "unknown failure type " + std::to_string(failure);
        return false;
    }
    if (!r.at_end()) {
        error = "trailing bytes after the policy text";
        return false;
    }
    out.failure = static_cast<FetchFailure>(failure);
    return true;
}

}  // namespace sts::fetch_wire
