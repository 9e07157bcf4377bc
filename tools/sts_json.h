// sts_json: the JSON form of MTA-STS values shared by `mtaguard sts` and
// `mtaguard cache` (field names are part of the DESIGN.md contract).
#pragma once

#include <vector>

#include "json.h"
#include "sts/policy.h"

namespace tool {

// [{"name", "value"}...]
json::Value extensions_json(const std::vector<sts::Extension>& extensions);
// {"version", "mode", "max_age", "mx": [...], "extensions": [...]}
json::Value policy_json(const sts::Policy& policy);

}  // namespace tool
