// The JSON form of a Classification (BLUEPRINT §5): one object with source, medium, campaign,
// term, content, confidence, rule_id, channel and rules_version, in that order. Absent
// campaign, term and content are null.
#pragma once

#include <string>

#include "attrib/classify.h"

namespace attrib {

void AppendJson(const Classification& c, std::string* out);

}  // namespace attrib
