#include "cli/io.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace attrib::cli {

Status ReadFile(const std::string& path, size_t max_bytes, std::string* out) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  out->clear();
  char chunk[1 << 16];
  for (;;) {
    const size_t got = std::fread(chunk, 1, sizeof chunk, f.get());
    out->append(chunk, got);
    if (out->size() > max_bytes) {
      return Status::LimitExceeded(
          fmt::format("{} is larger than the {}-byte limit", path, max_bytes));
    }
    if (got < sizeof chunk) break;
  }
  if (std::ferror(f.get()))
    return Status::IoError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  return Status::Ok();
}

void Output::Flush() {
  if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    failed_ = true;
  }
  buffer_.clear();
}

Status Output::Close() {
  Flush();
  if (std::fflush(file_) != 0) failed_ = true;
  if (failed_) return Status::IoError(fmt::format("write failed: {}", std::strerror(errno)));
  return Status::Ok();
}

}  // namespace attrib::cli
