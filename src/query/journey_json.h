// A person's audit trail as JSON: ids, sessions with the rule that classified each,
// conversions with every touchpoint's credit under each model (`attrib journey --format json`
// and the query API's /v1/journeys).
#pragma once

#include <nlohmann/json.hpp>

#include "attrib/store.h"

namespace attrib::query {

nlohmann::ordered_json JourneyJson(const PersonJourney& p);

}  // namespace attrib::query
