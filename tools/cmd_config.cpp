// mtaguard config: print the effective configuration (-n: only what differs
// from the defaults, like `postconf -n`); `config check` validates and exits
// 2 with file:line: parameter: reason for every error.
#include <iostream>

#include "command.h"

namespace tool {

int cmd_config(const Context& ctx, Args args) {
    bool only_changed = false;
    bool check = false;
    for (const auto& a : args) {
        if (a == "-n") only_changed = true;
        else if (a == "check") check = true;
        else return usage_error("config: unexpected argument \"" + a + "\"");
    }
    if (!ctx.config) return config_error(ctx);
    if (check) {
        const std::string& file = ctx.config->source_file();
        std::cout << (file.empty() ? std::string("(no file: defaults)") : file) << ": configuration OK\n";
        return kExitOk;
    }
    std::cout << ctx.config->render(only_changed);
    return kExitOk;
}

}  // namespace tool
