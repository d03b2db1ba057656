// Template definitions for io.h.
#pragma once

#include <cerrno>
#include <cstring>
#include <vector>

namespace attrib::cli {

template <class OnLine, class OnTooLong>
Status ForEachLine(std::FILE* in, size_t max_line, OnLine on_line, OnTooLong on_too_long) {
  constexpr size_t kChunk = 1 << 20;
  std::vector<char> buf(kChunk + max_line + 1);
  size_t have = 0;        // bytes in buf
  uint64_t number = 0;    // lines finished so far
  bool skipping = false;  // inside a line already reported as too long
  const auto deliver = [&](std::string_view line) {
    ++number;
    if (skipping) {
      skipping = false;
      return;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) {
      on_too_long(number);
    } else {
      on_line(line, number);
    }
  };
  for (;;) {
    const size_t got = std::fread(buf.data() + have, 1, buf.size() - have, in);
    if (got == 0 && std::ferror(in)) return Status::IoError(std::strerror(errno));
    have += got;
    size_t start = 0;
    while (const void* nl = std::memchr(buf.data() + start, '\n', have - start)) {
      const size_t end = static_cast<const char*>(nl) - buf.data();
      deliver(std::string_view(buf.data() + start, end - start));
      start = end + 1;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
    if (got == 0) {  // end of input: a last line without '\n'
      if (have > 0) deliver(std::string_view(buf.data(), have));
      return Status::Ok();
    }
    if (have > max_line) {  // no newline within the limit: report now, drop until its end
      if (!skipping) on_too_long(number + 1);
      skipping = true;
      have = 0;
    }
  }
}

}  // namespace attrib::cli
