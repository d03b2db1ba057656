// The classifier's cascade as JSON (`attrib rules --format json` and the query API's /v1/rules):
// one object per rule with its id, condition, outputs, note and origin.
#pragma once

#include <nlohmann/json.hpp>

#include "attrib/classify.h"

namespace attrib::query {

nlohmann::ordered_json RuleJson(const RuleInfo& r);

}  // namespace attrib::query
