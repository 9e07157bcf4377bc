// Fuzz target: the mtaguard.conf parser (file text and -o assignments).
#include <string_view>

#include "config.h"
#include "target.h"

MTAGUARD_FUZZ_TARGET(config) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    config::Loader loader;
    loader.load_text(text, "fuzz.conf");
    loader.override_value(text.substr(0, 256));
    for (const auto& e : loader.errors()) (void)e.to_string();
    if (auto cfg = loader.finish()) (void)cfg->render(true);
    return 0;
}
