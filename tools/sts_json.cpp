// sts_json: see sts_json.h.
#include "sts_json.h"

namespace tool {

json::Value extensions_json(const std::vector<sts::Extension>& extensions) {
    json::Value out = json::Value::array();
    for (const auto& [name, value] : extensions) {
        json::Value e = json::Value::object();
        e.set("name", name);
        e.set("value", value);
        out.push(std::move(e));
    }
    return out;
}

json::Value policy_json(const sts::Policy& p) {
    json::Value out = json::Value::object();
    out.set("version", p.version);
    out.set("mode", sts::mode_name(p.mode));
    out.set("max_age", static_cast<long long>(p.max_age));
    json::Value mx = json::Value::array();
    for (const auto& m : p.mx) mx.push(m);
    out.set("mx", std::move(mx));
    out.set("extensions", extensions_json(p.extensions));
    return out;
}

}  // namespace tool
