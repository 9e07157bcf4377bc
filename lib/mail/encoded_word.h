// encoded_word: RFC 2047 encoded words ("=?charset?B|Q?text?=") as they
// appear in display names. B (RFC 2047 §4.1, base64) and Q (§4.2) encodings;
// the charsets UTF-8 and US-ASCII are passed through, ISO-8859-1 (Latin-1)
// is converted to UTF-8. An RFC 2231 language suffix ("utf-8*en") is
// ignored. Anything else (an unknown charset, a malformed word, bad base64)
// yields nullopt and the caller keeps the word as written: decoding only
// serves display, never a decision.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail {

inline constexpr std::size_t kMaxEncodedWord = 1024;  // RFC 2047 §2 says 75; be generous

bool looks_like_encoded_word(std::string_view word);
std::optional<std::string> decode_encoded_word(std::string_view word);

}  // namespace mail
