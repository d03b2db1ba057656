// File helpers for the CLI, the one layer (with the server) that touches files.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "attrib/status.h"

namespace attrib::cli {

// Reads a whole file, refusing one larger than `max_bytes` with a LimitExceeded naming it.
Status ReadFile(const std::string& path, size_t max_bytes, std::string* out);

// Buffered writes to a FILE*, flushed in large blocks; Close() reports a failed write.
class Output {
 public:
  explicit Output(std::FILE* file) : file_(file) { buffer_.reserve(kBlock + 4096); }
  std::string* buffer() { return &buffer_; }
  void MaybeFlush() {
    if (buffer_.size() >= kBlock) Flush();
  }
  void Flush();
  Status Close();

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::FILE* file_;
  std::string buffer_;
  bool failed_ = false;
};

// Calls on_line(std::string_view line, uint64_t number) for each line of `in` ('\n'-separated,
// a final '\r' removed). A line longer than `max_line` is passed as on_too_long(number) instead.
template <class OnLine, class OnTooLong>
Status ForEachLine(std::FILE* in, size_t max_line, OnLine on_line, OnTooLong on_too_long);

}  // namespace attrib::cli

#include "cli/io_inl.h"
