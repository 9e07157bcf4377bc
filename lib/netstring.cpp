// netstring: incremental decoder and encoder (see netstring.h).
#include "netstring.h"

#include <algorithm>

namespace netstring {

Decoder::Decoder(std::size_t max_payload) : max_payload_(max_payload) {}

Decoder::Status Decoder::fail(std::string message) {
    state_ = State::Failed;
    error_ = std::move(message);
    payload_.clear();
    view_ = {};
    return Status::Error;
}

// A complete, well-formed netstring at the front of `input`: its payload
// becomes a view into `input` and it is consumed. Anything else (a partial
// or broken netstring) is left to the byte-by-byte decoder in feed(), which
// waits for more or reports the error.
bool Decoder::take_whole(std::string_view& input) {
    std::size_t i = 0;
    std::size_t length = 0;
    for (; i < input.size() && input[i] >= '0' && input[i] <= '9'; ++i) {
        length = length * 10 + static_cast<std::size_t>(input[i] - '0');
        if (length > max_payload_) return false;
    }
    if (i == 0 || i == input.size() || input[i] != ':' || (i > 1 && input[0] == '0')) return false;
    std::size_t comma = i + 1 + length;
    if (comma >= input.size() || input[comma] != ',') return false;
    view_ = input.substr(i + 1, length);
    input.remove_prefix(comma + 1);
    return true;
}

Decoder::Status Decoder::feed(std::string_view& input) {
    if (state_ == State::Length && digits_ == 0 && take_whole(input)) return Status::Message;
    while (!input.empty()) {
        switch (state_) {
        case State::Failed:
            return Status::Error;
        case State::Length: {
            char c = input.front();
            if (c == ':') {
                if (digits_ == 0) return fail("netstring length is empty");
                input.remove_prefix(1);
                payload_.clear();
                payload_.reserve(length_);
                state_ = length_ == 0 ? State::Comma : State::Payload;
                break;
            }
            if (c < '0' || c > '9') return fail("netstring length has a non-digit");
            // A leading zero is only allowed as the whole length ("0:,").
            if (digits_ == 1 && length_ == 0) return fail("netstring length has a leading zero");
            std::size_t digit = static_cast<std::size_t>(c - '0');
            // Refuse before reading the payload (Postfix netstring.c).
            if (length_ > max_payload_ / 10 || length_ * 10 + digit > max_payload_)
                return fail("netstring longer than the limit");
            length_ = length_ * 10 + digit;
            ++digits_;
            input.remove_prefix(1);
            break;
        }
        case State::Payload: {
            std::size_t take = std::min(input.size(), length_ - payload_.size());
            payload_.append(input.substr(0, take));
            input.remove_prefix(take);
            if (payload_.size() == length_) state_ = State::Comma;
            break;
        }
        case State::Comma:
            if (input.front() != ',') return fail("netstring does not end in ','");
            input.remove_prefix(1);
            state_ = State::Length;
            length_ = 0;
            digits_ = 0;
            view_ = payload_;
            return Status::Message;
        }
    }
    return state_ == State::Failed ? Status::Error : Status::NeedMore;
}

void append(std::string& out, std::string_view payload) {
    char digits[20];
    char* end = digits + sizeof(digits);
    char* p = end;
    std::size_t n = payload.size();
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    out.reserve(out.size() + static_cast<std::size_t>(end - p) + payload.size() + 2);
    out.append(p, end);
    out += ':';
    out += payload;
    out += ',';
}

std::string encode(std::string_view payload) {
    std::string out;
    append(out, payload);
    return out;
}

}  // namespace netstring
