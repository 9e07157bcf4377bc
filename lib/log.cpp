// log: see log.h.
#include "log.h"

#include "config.h"

#include <syslog.h>

#include <cstdio>
#include <mutex>

namespace logging {
namespace {

struct State {
    Options options;
    std::string ident;  // openlog keeps the pointer
    std::mutex stderr_mutex;
};

State& state() {
    static State s;
    return s;
}

int facility_code(std::string_view name) {
    struct Entry {
        std::string_view name;
        int code;
    };
    static constexpr Entry kFacilities[] = {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    for (const auto& f : kFacilities)
        if (f.name == name) return f.code;
    return LOG_MAIL;
}

int priority(Level level) {
    switch (level) {
        case Level::Error: return LOG_ERR;
        case Level::Warning: return LOG_WARNING;
        case Level::Notice: return LOG_NOTICE;
        case Level::Info: return LOG_INFO;
        case Level::Debug: return LOG_DEBUG;
    }
    return LOG_INFO;
}

std::string_view level_name(Level level) {
    switch (level) {
        case Level::Error: return "error";
        case Level::Warning: return "warning";
        case Level::Notice: return "notice";
        case Level::Info: return "info";
        case Level::Debug: return "debug";
    }
    return "info";
}

}  // namespace

void init(const Options& options) {
    State& s = state();
    s.options = options;
    s.ident = options.program;
    if (options.to_syslog) openlog(s.ident.c_str(), LOG_PID | LOG_NDELAY, facility_code(options.facility));
}

void init_from_config(const std::string& program, const config::Config& config, bool foreground) {
    Options o;
    o.program = program;
    o.facility = config.str("syslog_facility");
    o.level = parse_level(config.str("log_level")).value_or(Level::Info);
    o.to_stderr = foreground;
    init(o);
}

std::optional<Level> parse_level(std::string_view name) {
    for (Level l : {Level::Error, Level::Warning, Level::Notice, Level::Info, Level::Debug})
        if (level_name(l) == name) return l;
    return std::nullopt;
}

bool enabled(Level level) { return level <= state().options.level; }

void write(Level level, std::string_view message) {
    if (!enabled(level)) return;
    State& s = state();
    std::string line(message.substr(0, kMaxLine));
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';  // one event, one line
    if (s.options.to_syslog) syslog(priority(level), "%s", line.c_str());
    if (s.options.to_stderr) {
        std::lock_guard lock(s.stderr_mutex);
        std::fprintf(stderr, "%s: %.*s: %s\n", s.options.program.c_str(),
                     static_cast<int>(level_name(level).size()), level_name(level).data(), line.c_str());
    }
}

namespace {

bool needs_quotes(std::string_view value) {
    if (value.empty()) return true;
    for (char c : value)
        if (c == ' ' || c == '\t' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
            return true;
    return false;
}

// Appends `value` as quote_value() would return it (no temporary string:
// fields() runs once per message in the milter).
void append_value(std::string& out, std::string_view value) {
    if (!needs_quotes(value)) {
        out += value;
        return;
    }
    out += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
    out += '"';
}

}  // namespace

std::string quote_value(std::string_view value) {
    std::string out;
    append_value(out, value);
    return out;
}

std::string fields(std::initializer_list<Field> pairs) {
    std::size_t size = 0;
    for (const auto& [key, value] : pairs) size += key.size() + value.size() + 4;
    std::string out;
    out.reserve(size);
    for (const auto& [key, value] : pairs) {
        if (!out.empty()) out += ' ';
        out += key;
        out += '=';
        append_value(out, value);
    }
    return out;
}

}  // namespace logging
