// log: syslog(3) with the configured facility and program name, mirrored to
// stderr in foreground mode, filtered by level. Structured facts go through
// one formatter, log::fields(), that writes `key=value` pairs and quotes values
// that contain white space, quotes or '=' so a log line stays one line and
// greppable. Messages longer than kMaxLine are truncated.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace config {
class Config;
}

namespace logging {

enum class Level { Error, Warning, Notice, Info, Debug };

inline constexpr std::size_t kMaxLine = 4000;

struct Options {
    std::string program = "mtaguard";
    std::string facility = "mail";  // a syslog_facility value
    Level level = Level::Info;
    bool to_syslog = true;
    bool to_stderr = false;
};

void init(const Options& options);
// The daemons' and the tool's set-up: program name, syslog_facility and
// log_level from the configuration; stderr too when in the foreground.
void init_from_config(const std::string& program, const config::Config& config, bool foreground);
std::optional<Level> parse_level(std::string_view name);  // log_level values
void write(Level level, std::string_view message);
bool enabled(Level level);

using Field = std::pair<std::string_view, std::string_view>;
// `a=1 b="two words"`; empty values print as "".
std::string fields(std::initializer_list<Field> pairs);
std::string quote_value(std::string_view value);

inline void error(std::string_view m) { write(Level::Error, m); }
inline void warning(std::string_view m) { write(Level::Warning, m); }
inline void notice(std::string_view m) { write(Level::Notice, m); }
inline void info(std::string_view m) { write(Level::Info, m); }
inline void debug(std::string_view m) { write(Level::Debug, m); }

}  // namespace logging
