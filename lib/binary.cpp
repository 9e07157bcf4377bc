// binary: see binary.h.
#include "binary.h"

#include <algorithm>
#include <limits>

namespace binary {

void Writer::be(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
}

void Writer::str(std::string_view s, std::size_t limit) {
    s = s.substr(0, std::min<std::size_t>(limit, std::numeric_limits<std::uint16_t>::max()));
    u16(static_cast<std::uint16_t>(s.size()));
    out_ += s;
}

void Writer::text(std::string_view s, std::size_t limit) {
    s = s.substr(0, std::min<std::size_t>(limit, std::numeric_limits<std::uint32_t>::max()));
    u32(static_cast<std::uint32_t>(s.size()));
    out_ += s;
}

std::size_t Writer::count8(std::size_t n, std::size_t limit) {
    n = std::min({n, limit, std::size_t{std::numeric_limits<std::uint8_t>::max()}});
    u8(static_cast<std::uint8_t>(n));
    return n;
}

std::size_t Writer::count16(std::size_t n, std::size_t limit) {
    n = std::min({n, limit, std::size_t{std::numeric_limits<std::uint16_t>::max()}});
    u16(static_cast<std::uint16_t>(n));
    return n;
}

std::vector<std::uint8_t> Writer::take_bytes() {
    std::vector<std::uint8_t> bytes(out_.begin(), out_.end());
    out_.clear();
    return bytes;
}

void Reader::fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
}

std::uint64_t Reader::be(int bytes, const char* what) {
    if (!ok()) return 0;
    if (in_.size() < static_cast<std::size_t>(bytes)) {
        fail(std::string("truncated at ") + what);
        return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in_[i]);
    in_.remove_prefix(static_cast<std::size_t>(bytes));
    return v;
}

std::string Reader::bytes(std::size_t size, std::size_t limit, const char* what) {
    if (!ok()) return {};
    if (size > limit) {
        fail(std::string(what) + " longer than its limit of " + std::to_string(limit) + " bytes");
        return {};
    }
    if (in_.size() < size) {
        fail(std::string("truncated in ") + what);
        return {};
    }
    std::string s(in_.substr(0, size));
    in_.remove_prefix(size);
    return s;
}

std::size_t Reader::checked(std::size_t n, std::size_t limit, const char* what) {
    if (ok() && n > limit)
        fail(std::string(what) + " count beyond its limit of " + std::to_string(limit));
    return ok() ? n : 0;
}

}  // namespace binary
