// json: see json.h.
#include "json.h"

#include <charconv>
#include <cstdio>

namespace json {
namespace {

const Value kNull;
const std::string kEmptyString;
const Value::Array kEmptyArray;
const Value::Object kEmptyObject;
constexpr int kMaxDepth = 64;

class Parser {
public:
    explicit Parser(std::string_view t) : t_(t) {}

    std::optional<Value> document() {
        auto v = value(0);
        skip_ws();
        if (!v || pos_ != t_.size()) return std::nullopt;
        return v;
    }

private:
    void skip_ws() {
        while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (t_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }
    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    std::optional<std::uint32_t> hex4() {
        if (pos_ + 4 > t_.size()) return std::nullopt;
        std::uint32_t v = 0;
        auto [end, ec] = std::from_chars(t_.data() + pos_, t_.data() + pos_ + 4, v, 16);
        if (ec != std::errc() || end != t_.data() + pos_ + 4) return std::nullopt;
        pos_ += 4;
        return v;
    }
    std::optional<std::string> string() {
        if (pos_ >= t_.size() || t_[pos_] != '"') return std::nullopt;
        ++pos_;
        std::string out;
        while (pos_ < t_.size()) {
            char c = t_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= t_.size()) return std::nullopt;
            char e = t_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    auto cp = hex4();
                    if (!cp) return std::nullopt;
                    if (*cp >= 0xD800 && *cp < 0xDC00 && literal("\\u")) {
                        auto lo = hex4();
                        if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return std::nullopt;
                        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*lo - 0xDC00);
                    }
                    put_utf8(out, *cp);
                    break;
                }
                default: return std::nullopt;
            }
        }
        return std::nullopt;
    }
    std::optional<Value> number() {
        std::size_t start = pos_;
        if (pos_ < t_.size() && t_[pos_] == '-') ++pos_;
        bool is_double = false;
        while (pos_ < t_.size()) {
            char c = t_[pos_];
            if (c >= '0' && c <= '9') ++pos_;
            else if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && pos_ > start)) {
                is_double = true;
                ++pos_;
            } else break;
        }
        std::string_view s = t_.substr(start, pos_ - start);
        if (s.empty() || s == "-") return std::nullopt;
        if (!is_double) {
            std::int64_t n = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            if (ec == std::errc() && end == s.data() + s.size()) return Value(static_cast<long long>(n));
        }
        double d = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
        return Value(d);
    }
    std::optional<Value> value(int depth) {
        if (depth > kMaxDepth) return std::nullopt;
        skip_ws();
        if (pos_ >= t_.size()) return std::nullopt;
        char c = t_[pos_];
        if (c == '"') {
            auto s = string();
            if (!s) return std::nullopt;
            return Value(std::move(*s));
        }
        if (c == '{') {
            ++pos_;
            Value obj = Value::object();
            skip_ws();
            if (pos_ < t_.size() && t_[pos_] == '}') {
                ++pos_;
                return obj;
            }
            while (true) {
                skip_ws();
                auto key = string();
                skip_ws();
                if (!key || pos_ >= t_.size() || t_[pos_] != ':') return std::nullopt;
                ++pos_;
                auto v = value(depth + 1);
                if (!v) return std::nullopt;
                obj.set(*key, std::move(*v));
                skip_ws();
                if (pos_ < t_.size() && t_[pos_] == ',') { ++pos_; continue; }
                if (pos_ < t_.size() && t_[pos_] == '}') { ++pos_; return obj; }
                return std::nullopt;
            }
        }
        if (c == '[') {
            ++pos_;
            Value arr = Value::array();
            skip_ws();
            if (pos_ < t_.size() && t_[pos_] == ']') {
                ++pos_;
                return arr;
            }
            while (true) {
                auto v = value(depth + 1);
                if (!v) return std::nullopt;
                arr.push(std::move(*v));
                skip_ws();
                if (pos_ < t_.size() && t_[pos_] == ',') { ++pos_; continue; }
                if (pos_ < t_.size() && t_[pos_] == ']') { ++pos_; return arr; }
                return std::nullopt;
            }
        }
        if (literal("true")) return Value(true);
        if (literal("false")) return Value(false);
        if (literal("null")) return Value();
        return number();
    }

    std::string_view t_;
    std::size_t pos_ = 0;
};

}  // namespace

const std::string& Value::as_string() const {
    return is_string() ? std::get<std::string>(v_) : kEmptyString;
}
const Value::Array& Value::as_array() const { return is_array() ? std::get<Array>(v_) : kEmptyArray; }
const Value::Object& Value::as_object() const {
    return is_object() ? std::get<Object>(v_) : kEmptyObject;
}

Value& Value::set(std::string_view key, Value value) {
    if (!is_object()) v_ = Object{};
    auto& obj = std::get<Object>(v_);
    for (auto& [k, v] : obj)
        if (k == key) {
            v = std::move(value);
            return v;
        }
    obj.emplace_back(std::string(key), std::move(value));
    return obj.back().second;
}

const Value& Value::operator[](std::string_view key) const {
    for (const auto& [k, v] : as_object())
        if (k == key) return v;
    return kNull;
}

bool Value::has(std::string_view key) const {
    for (const auto& kv : as_object())
        if (kv.first == key) return true;
    return false;
}

Value& Value::push(Value value) {
    if (!is_array()) v_ = Array{};
    auto& arr = std::get<Array>(v_);
    arr.push_back(std::move(value));
    return arr.back();
}

const Value& Value::operator[](std::size_t index) const {
    const auto& arr = as_array();
    return index < arr.size() ? arr[index] : kNull;
}

std::size_t Value::size() const {
    if (is_array()) return std::get<Array>(v_).size();
    if (is_object()) return std::get<Object>(v_).size();
    return 0;
}

void escape_string(std::string_view s, std::string& out) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

void Value::dump_to(std::string& out) const {
    if (is_null()) out += "null";
    else if (is_bool()) out += std::get<bool>(v_) ? "true" : "false";
    else if (is_int()) out += std::to_string(std::get<std::int64_t>(v_));
    else if (std::holds_alternative<double>(v_)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v_));
        out += buf;
    } else if (is_string()) escape_string(std::get<std::string>(v_), out);
    else if (is_array()) {
        out += '[';
        bool first = true;
        for (const auto& v : std::get<Array>(v_)) {
            if (!first) out += ',';
            first = false;
            v.dump_to(out);
        }
        out += ']';
    } else {
        out += '{';
        bool first = true;
        for (const auto& [k, v] : std::get<Object>(v_)) {
            if (!first) out += ',';
            first = false;
            escape_string(k, out);
            out += ':';
            v.dump_to(out);
        }
        out += '}';
    }
}

std::string Value::dump() const {
    std::string out;
    dump_to(out);
    return out;
}

std::optional<Value> parse(std::string_view text) { return Parser(text).document(); }

}  // namespace json
