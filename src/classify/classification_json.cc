#include "classify/classification_json.h"

#include "common/strings.h"

namespace attrib {
namespace {

void AppendField(std::string_view key, std::string_view value, bool null_if_empty, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
  if (null_if_empty && value.empty()) {
    out->append("null");
  } else {
    AppendJsonString(out, value);
  }
}

}  // namespace

void AppendJson(const Classification& c, std::string* out) {
  out->push_back('{');
  AppendField("source", c.source, false, out);
  out->push_back(',');
  AppendField("medium", c.medium, false, out);
  out->push_back(',');
  AppendField("campaign", c.campaign, true, out);
  out->push_back(',');
  AppendField("term", c.term, true, out);
  out->push_back(',');
  AppendField("content", c.content, true, out);
  out->push_back(',');
  AppendField("confidence", ToString(c.confidence), false, out);
  out->push_back(',');
  AppendField("rule_id", c.rule_id, false, out);
  out->push_back(',');
  AppendField("channel", ToString(c.channel), false, out);
  out->push_back(',');
  AppendField("rules_version", c.rules_version, false, out);
  out->push_back('}');
}

}  // namespace attrib
