#include "attrib/catalog.h"

#include <fmt/format.h>

namespace attrib {

std::string_view ToString(KeyKind kind) { return kind == KeyKind::kRead ? "read" : "write"; }

Status ValidateProjectName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("project name: empty");
  if (name.size() > kMaxProjectNameBytes) {
    return Status::InvalidArgument(fmt::format(
        "project name: {} bytes, longer than the limit of {}", name.size(), kMaxProjectNameBytes));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(
          fmt::format("project name: a control character (0x{:02x}) at byte {}", c, i + 1));
    }
  }
  return Status::Ok();
}

}  // namespace attrib
