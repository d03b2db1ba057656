#include "query/rules_json.h"

namespace attrib::query {

nlohmann::ordered_json RuleJson(const RuleInfo& r) {
  return {{"id", r.id},
          {"when", r.when},
          {"source", r.source},
          {"medium", r.medium},
          {"confidence", ToString(r.confidence)},
          {"channel", r.channel ? nlohmann::ordered_json(ToString(*r.channel))
                                : nlohmann::ordered_json(nullptr)},
          {"note", r.note},
          {"origin", r.origin}};
}

}  // namespace attrib::query
