// json: a small JSON value for the `--json` output of mtaguard and for tests
// that read it back. dump() writes compact JSON with keys in insertion order
// (RFC 8259; strings escaped, non-ASCII UTF-8 passed through). parse() accepts
// RFC 8259 JSON with a depth limit of 64 and returns nullopt on any error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace json {

class Value {
public:
    using Array = std::vector<Value>;
    using Object = std::vector<std::pair<std::string, Value>>;

    Value() = default;  // null
    Value(std::nullptr_t) {}
    Value(bool b) : v_(b) {}
    Value(int n) : v_(static_cast<std::int64_t>(n)) {}
    Value(long n) : v_(static_cast<std::int64_t>(n)) {}
    Value(long long n) : v_(static_cast<std::int64_t>(n)) {}
    Value(unsigned n) : v_(static_cast<std::int64_t>(n)) {}
    Value(unsigned long n) : v_(static_cast<std::int64_t>(n)) {}
    Value(double d) : v_(d) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(Array a) : v_(std::move(a)) {}
    Value(Object o) : v_(std::move(o)) {}

    static Value object() { return Value(Object{}); }
    static Value array() { return Value(Array{}); }
    // A string, or null when the optional is empty.
    template <typename T>
    static Value or_null(const std::optional<T>& v) { return v ? Value(*v) : Value(); }
    // A string, or null when it is empty.
    static Value null_if_empty(const std::string& s) { return s.empty() ? Value() : Value(s); }

    bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
    bool is_bool() const { return std::holds_alternative<bool>(v_); }
    bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
    bool is_string() const { return std::holds_alternative<std::string>(v_); }
    bool is_array() const { return std::holds_alternative<Array>(v_); }
    bool is_object() const { return std::holds_alternative<Object>(v_); }

    bool as_bool() const { return is_bool() && std::get<bool>(v_); }
    std::int64_t as_int() const { return is_int() ? std::get<std::int64_t>(v_) : 0; }
    const std::string& as_string() const;
    const Array& as_array() const;
    const Object& as_object() const;

    // Object access: set appends or replaces; operator[] on a missing key
    // (or a non-object) returns a null value.
    Value& set(std::string_view key, Value value);
    const Value& operator[](std::string_view key) const;
    bool has(std::string_view key) const;
    // Array access.
    Value& push(Value value);
    const Value& operator[](std::size_t index) const;
    std::size_t size() const;

    std::string dump() const;
    void dump_to(std::string& out) const;

private:
    std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> v_;
};

std::optional<Value> parse(std::string_view text);
void escape_string(std::string_view s, std::string& out);

}  // namespace json
