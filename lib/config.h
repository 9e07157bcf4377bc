// config: the single parameter table, the mtaguard.conf parser and the
// effective configuration every program works from.
//
// File syntax (mtaguard.conf(5), modelled on Postfix main.cf): `name = value`
// lines, `#` comments on lines of their own, a line starting with white space
// continues the previous one. Values are typed by the table: string, path,
// bool (yes|no), integer (with a range), duration (30s, 5m, 24h, 7d; a bare
// number is seconds), choice (one of a fixed set) and list (comma and/or white
// space separated). Parsing is strict: an unknown name, a bad value or a
// duplicate is an error naming file, line and parameter, and nothing loads.
// Limits: a file of at most 1 MiB, logical lines of at most 64 KiB.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace config {

enum class Type { String, Path, Bool, Integer, Duration, Choice, List };

// One row of the parameter table (config_table.cpp).
struct Param {
    std::string_view name;
    Type type;
    std::string_view default_value;  // as written in a file; "" = empty / computed at use
    long long min = 0;               // Integer: value range; Duration: range in seconds
    long long max = 0;
    std::string_view choices;        // Choice: allowed values separated by '|'
    std::string_view help;           // one line, also the man page check's anchor
};

std::span<const Param> table();
const Param* find_param(std::string_view name);
std::string_view type_name(Type type);

// A configuration error: where, which parameter, what.
struct Error {
    std::string file;   // "" for -o overrides
    int line = 0;       // 0 when not from a file
    std::string param;  // "" when the line has no recognisable name
    std::string message;
    std::string to_string() const;
};

// A validated parameter value: the text as written (normalised white space)
// plus the typed form.
struct Value {
    std::string text;
    bool is_default = true;
    std::string origin;  // "default", "FILE:LINE" or "-o"
    bool boolean = false;
    long long integer = 0;
    std::chrono::milliseconds duration{0};
    std::vector<std::string> list;
};

// Checks `text` against the parameter's type and range; fills `out` or
// returns an error message.
std::optional<std::string> parse_value(const Param& param, std::string_view text, Value& out);

// Duration syntax: <number>[ms|s|m|h|d|w]; bare numbers are seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The effective configuration: every parameter of the table has a value.
// Immutable once loaded; programs share it as std::shared_ptr<const Config>.
class Config {
public:
    Config();  // all defaults

    const Value& value(std::string_view name) const;  // throws std::logic_error for names not in the table
    const std::string& str(std::string_view name) const { return value(name).text; }
    bool boolean(std::string_view name) const { return value(name).boolean; }
    long long integer(std::string_view name) const { return value(name).integer; }
    std::chrono::milliseconds duration(std::string_view name) const { return value(name).duration; }
    const std::vector<std::string>& list(std::string_view name) const { return value(name).list; }

    const std::string& source_file() const { return source_file_; }

    // `name = value` lines in table order; only_changed: like `postconf -n`.
    std::string render(bool only_changed) const;

private:
    friend class Loader;
    std::map<std::string, Value, std::less<>> values_;
    std::string source_file_;
};

// Loads a file (optional: a missing default file is not an error) and then
// applies `-o name=value` overrides, which win over the file.
class Loader {
public:
    // path_required: the file was named with -c and must exist.
    void load_file(const std::string& path, bool path_required);
    void load_text(std::string_view text, const std::string& origin_name);
    void override_value(std::string_view assignment);  // "name=value"

    const std::vector<Error>& errors() const { return errors_; }
    bool ok() const { return errors_.empty(); }
    std::shared_ptr<const Config> finish();  // nullptr when there were errors

private:
    void assign(std::string_view name, std::string_view text, const std::string& file, int line);

    Config config_;
    std::map<std::string, int, std::less<>> seen_in_file_;  // duplicate detection
    std::vector<Error> errors_;
};

inline constexpr const char* kDefaultConfigFile = MTAGUARD_SYSCONFDIR "/mtaguard/mtaguard.conf";
inline constexpr std::size_t kMaxFileSize = 1 << 20;
inline constexpr std::size_t kMaxLogicalLine = 64 * 1024;

}  // namespace config

namespace config {

// Where a program's configuration comes from: -c FILE (or the default file,
// which may be absent) and the -o overrides in command-line order.
struct Sources {
    std::string file = kDefaultConfigFile;
    bool file_given = false;
    std::vector<std::string> overrides;
};

// Loads and validates; on failure returns nullptr and fills `errors`.
std::shared_ptr<const Config> load(const Sources& sources, std::vector<Error>& errors);

}  // namespace config
