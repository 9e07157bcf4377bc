// binary: the bounded big-endian codec behind mtaguard's versioned on-disk
// rows (the report history, lib/report/record.h; the MTA-STS policy cache,
// lib/sts/cache_row.h). Each row format states its own layout; this file
// gives both the same primitives, so that the formats stay byte-compatible
// with what earlier versions wrote:
//   integers     u8, u16, u32, i64, big-endian
//   strings      a u16 (str) or u32 (text) length, then the bytes
//   list counts  a u8 or u16 count (count8/count16), then the items
// Writer cuts a string or a count to the limit its caller names, so it never
// writes what the Reader would refuse. Reader checks every length against the
// remaining input and against the caller's limit; the first failure sticks
// (later reads return zero values), so a decoder reads on and checks ok()
// once. Errors name the field the caller passed as `what`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace binary {

class Writer {
public:
    void u8(std::uint8_t v) { out_ += static_cast<char>(v); }
    void u16(std::uint16_t v) { be(v, 2); }
    void u32(std::uint32_t v) { be(v, 4); }
    void i64(std::int64_t v) { be(static_cast<std::uint64_t>(v), 8); }
    // u16 length + bytes; at most min(limit, 65535) bytes are written.
    void str(std::string_view s, std::size_t limit);
    // u32 length + bytes; at most `limit` bytes are written.
    void text(std::string_view s, std::size_t limit);
    // A list count cut to `limit`, as one (count8) or two (count16) bytes;
    // returns the count written: the caller writes that many items.
    std::size_t count8(std::size_t n, std::size_t limit);
    std::size_t count16(std::size_t n, std::size_t limit);

    std::size_t size() const { return out_.size(); }
    std::string take() { return std::move(out_); }
    std::vector<std::uint8_t> take_bytes();

private:
    void be(std::uint64_t v, int bytes);
    std::string out_;
};

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    explicit Reader(std::span<const std::uint8_t> in)
        : in_(reinterpret_cast<const char*>(in.data()), in.size()) {}

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    bool at_end() const { return in_.empty(); }
    void fail(std::string message);

    std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(be(1, what)); }
    std::uint16_t u16(const char* what) { return static_cast<std::uint16_t>(be(2, what)); }
    std::uint32_t u32(const char* what) { return static_cast<std::uint32_t>(be(4, what)); }
    std::int64_t i64(const char* what) { return static_cast<std::int64_t>(be(8, what)); }
    // A string of at most `limit` bytes (u16 / u32 length prefix).
    std::string str(std::size_t limit, const char* what) { return bytes(u16(what), limit, what); }
    std::string text(std::size_t limit, const char* what) { return bytes(u32(what), limit, what); }
    // A list count of at most `limit` (u8 / u16); 0 once failed.
    std::size_t count8(std::size_t limit, const char* what) { return checked(u8(what), limit, what); }
    std::size_t count16(std::size_t limit, const char* what) { return checked(u16(what), limit, what); }

private:
    std::uint64_t be(int bytes, const char* what);
    std::string bytes(std::size_t size, std::size_t limit, const char* what);
    std::size_t checked(std::size_t n, std::size_t limit, const char* what);

    std::string_view in_;
    std::string error_;
};

}  // namespace binary
