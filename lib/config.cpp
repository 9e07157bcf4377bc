// config: parser and typed values for mtaguard.conf; see config.h.
#include "config.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace config {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Collapses runs of white space to one blank, as Postfix does for values.
std::string normalise(std::string_view s) {
    std::string out;
    bool blank = false;
    for (char c : trim(s)) {
        if (is_space(c) || c == '\n') {
            blank = true;
            continue;
        }
        if (blank && !out.empty()) out += ' ';
        blank = false;
        out += c;
    }
    return out;
}

std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> items;
    std::string cur;
    for (char c : s) {
        if (c == ',' || is_space(c) || c == '\n') {
            if (!cur.empty()) items.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) items.push_back(std::move(cur));
    return items;
}

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::string format_duration_ms(long long ms) {
    if (ms % 1000 != 0) return std::to_string(ms) + "ms";
    long long s = ms / 1000;
    if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
    if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
    if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
    return std::to_string(s) + "s";
}

}  // namespace

std::string Error::to_string() const {
    std::string out;
    if (!file.empty()) {
        out = file;
        if (line > 0) out += ":" + std::to_string(line);
        out += ": ";
    } else if (line == 0 && !param.empty()) {
        out = "-o: ";
    }
    if (!param.empty()) out += param + ": ";
    return out + message;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    text = trim(text);
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data() || n < 0) return std::nullopt;
    std::string_view unit(end, text.data() + text.size() - end);
    long long mult;
    if (unit.empty() || unit == "s") mult = 1000;
    else if (unit == "ms") mult = 1;
    else if (unit == "m") mult = 60'000;
    else if (unit == "h") mult = 3'600'000;
    else if (unit == "d") mult = 86'400'000;
    else if (unit == "w") mult = 7 * 86'400'000LL;
    else return std::nullopt;
    if (n > (1LL << 50) / mult) return std::nullopt;  // far beyond any range; no overflow
    return std::chrono::milliseconds(n * mult);
}

std::optional<std::string> parse_value(const Param& param, std::string_view raw, Value& out) {
    std::string text = normalise(raw);
    Value v;
    switch (param.type) {
        case Type::String:
        case Type::Path:
            if (param.type == Type::Path && !text.empty() && text.front() != '/')
                return "must be an absolute path, got \"" + text + "\"";
            break;
        case Type::Bool:
            if (text == "yes") v.boolean = true;
            else if (text == "no") v.boolean = false;
            else return "must be yes or no, got \"" + text + "\"";
            break;
        case Type::Integer: {
            long long n = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
            if (text.empty() || ec != std::errc() || end != text.data() + text.size())
                return "must be an integer, got \"" + text + "\"";
            if (n < param.min || n > param.max)
                return "must be between " + std::to_string(param.min) + " and " +
                       std::to_string(param.max) + ", got " + text;
            v.integer = n;
            break;
        }
        case Type::Duration: {
            auto d = parse_duration(text);
            if (!d) return "must be a duration such as 30s, 5m, 24h or 7d, got \"" + text + "\"";
            if (d->count() < param.min || d->count() > param.max)
                return "must be between " + format_duration_ms(param.min) + " and " +
                       format_duration_ms(param.max) + ", got " + text;
            v.duration = *d;
            break;
        }
        case Type::Choice: {
            bool found = false;
            std::string_view rest = param.choices;
            while (!rest.empty() && !found) {
                auto bar = rest.find('|');
                found = rest.substr(0, bar) == text;
                rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
            }
            if (!found)
                return "must be one of " + std::string(param.choices) + ", got \"" + text + "\"";
            break;
        }
        case Type::List:
            v.list = split_list(text);
            text.clear();
            for (const auto& item : v.list) text += (text.empty() ? "" : ", ") + item;
            break;
    }
    v.text = std::move(text);
    out = std::move(v);
    return std::nullopt;
}

Config::Config() {
    for (const Param& p : table()) {
        Value v;
        if (auto err = parse_value(p, p.default_value, v))
            throw std::logic_error("bad default for " + std::string(p.name) + ": " + *err);
        v.origin = "default";
        values_.emplace(std::string(p.name), std::move(v));
    }
}

const Value& Config::value(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end())
        throw std::logic_error("unknown configuration parameter: " + std::string(name));
    return it->second;
}

std::string Config::render(bool only_changed) const {
    std::string out;
    for (const Param& p : table()) {
        const Value& v = value(p.name);
        if (only_changed && v.is_default) continue;
        out += std::string(p.name) + " =" + (v.text.empty() ? "" : " ") + v.text + "\n";
    }
    return out;
}

void Loader::assign(std::string_view name, std::string_view text, const std::string& file,
                    int line) {
    const Param* p = find_param(name);
    if (!p) {
        errors_.push_back({file, line, std::string(name), "unknown parameter"});
        return;
    }
    Value v;
    if (auto err = parse_value(*p, text, v)) {
        errors_.push_back({file, line, std::string(name), *err});
        return;
    }
    v.is_default = false;
    v.origin = file.empty() ? "-o" : file + ":" + std::to_string(line);
    config_.values_[std::string(name)] = std::move(v);
}

void Loader::load_text(std::string_view text, const std::string& origin_name) {
    config_.source_file_ = origin_name;
    seen_in_file_.clear();
    std::string logical;
    int logical_line = 0;
    auto flush = [&]() {
        if (logical_line == 0) return;
        std::string_view s = trim(logical);
        auto eq = s.find('=');
        std::string_view name = trim(s.substr(0, eq));
        if (eq == std::string_view::npos || !valid_name(name)) {
            errors_.push_back({origin_name, logical_line, valid_name(name) ? std::string(name) : "",
                               "expected \"name = value\""});
        } else if (auto dup = seen_in_file_.find(name); dup != seen_in_file_.end()) {
            errors_.push_back({origin_name, logical_line, std::string(name),
                               "set twice (first at line " + std::to_string(dup->second) + ")"});
        } else {
            seen_in_file_.emplace(std::string(name), logical_line);
            assign(name, s.substr(eq + 1), origin_name, logical_line);
        }
        logical.clear();
        logical_line = 0;
    };
    int lineno = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++lineno;
        std::string_view t = trim(line);
        if (t.empty() || t.front() == '#') continue;  // blank and comment lines end nothing
        if (is_space(line.front())) {
            if (logical_line == 0) {
                errors_.push_back({origin_name, lineno, "", "continuation line without a parameter"});
                continue;
            }
            if (logical.size() + line.size() > kMaxLogicalLine) {
                errors_.push_back({origin_name, logical_line, "", "line too long"});
                logical.clear();
                logical_line = 0;
                continue;
            }
            logical += ' ';
            logical += t;
            continue;
        }
        flush();
        logical = std::string(line.substr(0, kMaxLogicalLine));
        logical_line = lineno;
    }
    flush();
}

void Loader::load_file(const std::string& path, bool path_required) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (path_required) errors_.push_back({path, 0, "", "cannot open: " + std::string(strerror(errno))});
        return;
    }
    std::string text;
    text.resize(kMaxFileSize + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileSize) {
        errors_.push_back({path, 0, "", "file larger than 1 MiB"});
        return;
    }
    load_text(text, path);
}

void Loader::override_value(std::string_view assignment) {
    auto eq = assignment.find('=');
    std::string_view name = trim(assignment.substr(0, eq));
    if (eq == std::string_view::npos || !valid_name(name)) {
        errors_.push_back({"", 0, "", "-o expects name=value, got \"" + std::string(assignment) + "\""});
        return;
    }
    assign(name, assignment.substr(eq + 1), "", 0);
}

std::shared_ptr<const Config> Loader::finish() {
    if (!errors_.empty()) return nullptr;
    return std::make_shared<const Config>(config_);
}

}  // namespace config

namespace config {

std::shared_ptr<const Config> load(const Sources& sources, std::vector<Error>& errors) {
    Loader loader;
    loader.load_file(sources.file, sources.file_given);
    for (const auto& o : sources.overrides) loader.override_value(o);
    errors = loader.errors();
    return loader.finish();
}

}  // namespace config
