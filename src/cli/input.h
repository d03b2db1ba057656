// Reading Segment JSON-lines files (plain or gzip, '-' for stdin) in blocks of whole lines for
// batch analysis.
#pragma once

#include <zlib.h>

#include <string>
#include <vector>

#include "attrib/status.h"
#include "ingest/segment.h"
#include "query/batch.h"

namespace attrib::cli {

class BlockReader {
 public:
  static constexpr size_t kBlockBytes = 2048 << 10;  // read at a time
  // Longer lines cannot be a valid document; they may be cut to this to be rejected as too large.
  static constexpr size_t kMaxLine = ingest::kMaxLineBytes;

  explicit BlockReader(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Fills `block` with the next whole lines of the inputs, in order; false at the end or on an
  // error (see status()). A line longer than any valid document is cut to a prefix that the
  // parser rejects as too large, and the rest of it skipped (it still counts as one line).
  bool Next(query::InputBlock* block);

  // Whether every input can be opened, so that a missing second file is reported before the
  // first one is read.
  Status CheckInputs() const;

  const Status& status() const { return status_; }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  bool Open();
  // Reads up to `n` bytes of the current input into `buf` after its first `*used`, which it
  // advances; 0 at the input's end.
  size_t Read(std::string* buf, size_t* used, size_t n);

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
