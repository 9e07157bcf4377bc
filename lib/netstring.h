// netstring: D. J. Bernstein's netstrings, the framing of Postfix's socketmap
// protocol (socketmap_table(5)): "<length>:<payload>,", length in decimal
// ASCII without leading zeros ("0:," is the empty string).
//
// Decoder is incremental: feed it whatever chunks the socket delivers (a
// request split over many reads, or many requests coalesced in one) and it
// yields one payload at a time. Limits: a payload longer than the decoder's
// bound is refused as soon as the length prefix says so, BEFORE any payload
// byte is buffered (as Postfix netstring.c does); a length prefix is therefore
// at most as many digits as the bound has. Errors (leading zero, non-digit,
// missing ':' or ',', oversize) are final: the decoder stays in the error
// state and the caller closes the connection.
//
// A netstring that arrives whole in one chunk (the common case: a socketmap
// request fits in one read) is not copied: payload() is then a view into
// the chunk given to feed(). A netstring split over chunks is gathered in
// the decoder and payload() views that copy.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace netstring {

// Postfix socketmap_max_reply_size default; requests are far smaller.
inline constexpr std::size_t kDefaultMaxPayload = 100000;

class Decoder {
public:
    enum class Status { NeedMore, Message, Error };

    explicit Decoder(std::size_t max_payload = kDefaultMaxPayload);

    // Consumes bytes from the front of `input` until one payload is
    // complete (Message: read it with payload()), `input` is exhausted
    // (NeedMore), or the framing is broken (Error: see error()).
    Status feed(std::string_view& input);

    // The payload of the Message just returned: valid until the next feed()
    // and while the chunk given to that feed() is unchanged.
    std::string_view payload() const { return view_; }
    const std::string& error() const { return error_; }
    // True while no byte of the next netstring has been seen.
    bool idle() const { return state_ == State::Length && digits_ == 0; }

private:
    enum class State { Length, Payload, Comma, Failed };
    Status fail(std::string message);
    bool take_whole(std::string_view& input);

    std::size_t max_payload_;
    State state_ = State::Length;
    std::size_t length_ = 0;
    std::size_t digits_ = 0;
    std::string payload_;     // a netstring split over chunks, gathered
    std::string_view view_;   // the last payload: into the chunk or payload_
    std::string error_;
};

// "<length>:<payload>,".
std::string encode(std::string_view payload);
// Appends "<length>:<payload>," to `out` (no temporary string).
void append(std::string& out, std::string_view payload);

}  // namespace netstring
