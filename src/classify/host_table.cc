#include "classify/host_table.h"

#include <algorithm>

namespace attrib::classify {

void HostTable::Add(const HostPattern& pattern, uint16_t cond, uint16_t name, uint16_t name_slot) {
  const HostHit hit{cond, name, name_slot, pattern.exact};
  if (pattern.app) {
    apps_[pattern.host].push_back(hit);
  } else if (pattern.any_suffix) {
    wild_[pattern.host].push_back(hit);
    const size_t dot = pattern.host.rfind('.');
    std::string label = dot == std::string::npos ? pattern.host : pattern.host.substr(dot + 1);
    if (std::find(wild_last_labels_.begin(), wild_last_labels_.end(), label) ==
        wild_last_labels_.end()) {
      wild_last_labels_.push_back(std::move(label));
    }
  } else {
    plain_[pattern.host].push_back(hit);
  }
  if (pattern.host.find('.') == std::string::npos) single_label_keys_ = true;
}

}  // namespace attrib::classify
