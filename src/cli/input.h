// Reading Segment JSON-lines files (plain or gzip, '-' for stdin) in blocks of whole lines for
// batch analysis.
#pragma once

#include <zlib.h>

#include <string>
#include <vector>

#include "attrib/status.h"
#include "query/batch.h"

namespace attrib::cli {

class BlockReader {
 public:
  explicit BlockReader(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Fills `block` with the next whole lines of the inputs, in order; false at the end or on an
  // error (see status()). A line longer than any valid document is cut to a prefix that the
  // parser rejects as too large, and the rest of it skipped (it still counts as one line).
  bool Next(query::InputBlock* block);

  const Status& status() const { return status_; }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  bool Open();
  // Appends up to `n` bytes from the current input to `out`; 0 at its end.
  size_t Read(std::string* out, size_t n);

  std::vector<std::string> paths_;
  size_t current_ = 0;     // index of the open input
  gzFile gz_ = nullptr;    // the open input when compressed (or stdin)
  int fd_ = -1;            // … when a plain file
  bool eof_ = true;        // the open input is exhausted (or none is open)
  std::string pending_;    // bytes read after the last complete line
  bool skipping_ = false;  // inside an over-long line, until its end
  Status status_;
};

}  // namespace attrib::cli
