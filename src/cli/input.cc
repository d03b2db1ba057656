#include "cli/input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ingest/segment.h"

namespace attrib::cli {
namespace {

constexpr size_t kBlockBytes = 2 << 20;
// Longer lines cannot be a valid document; they are cut to this to be rejected as too large.
constexpr size_t kMaxLine = ingest::kMaxBatchBytes + 1;

}  // namespace

BlockReader::~BlockReader() {
  if (gz_ != nullptr) gzclose(gz_);
  if (fd_ >= 0) close(fd_);
}

bool BlockReader::Open() {
  while (eof_) {
    if (gz_ != nullptr || fd_ >= 0) {
      if (gz_ != nullptr) gzclose(gz_);
      if (fd_ >= 0) close(fd_);
      gz_ = nullptr;
      fd_ = -1;
      ++current_;
    }
    if (current_ >= paths_.size()) return false;
    const std::string& path = paths_[current_];
    // Plain files are read straight into the blocks; gzip (and stdin, which may be either)
    // through zlib.
    const bool gzip = path == "-" || (path.size() > 3 && path.ends_with(".gz"));
    const int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      status_ = Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
      return false;
    }
    if (gzip) {
      gz_ = gzdopen(fd, "rb");
      if (gz_ == nullptr) {
        close(fd);
        status_ = Status::IoError(fmt::format("cannot read {}", path));
        return false;
      }
      gzbuffer(gz_, 1 << 20);
    } else {
      fd_ = fd;
    }
    eof_ = false;
  }
  return true;
}

size_t BlockReader::Read(std::string* out, size_t n) {
  const size_t old = out->size();
  out->resize(old + n);
  long got;
  if (gz_ != nullptr) {
    got = gzread(gz_, out->data() + old, static_cast<unsigned>(n));
  } else {
    do {
      got = read(fd_, out->data() + old, n);
    } while (got < 0 && errno == EINTR);
  }
  if (got < 0) {
    int code;
    status_ =
        Status::IoError(fmt::format("cannot read {}: {}", paths_[current_],
                                    gz_ != nullptr ? gzerror(gz_, &code) : std::strerror(errno)));
    out->resize(old);
    eof_ = true;
    return 0;
  }
  out->resize(old + static_cast<size_t>(got));
  if (got == 0 && gz_ != nullptr) {
    int code = Z_OK;
    gzerror(gz_, &code);
    if (code != Z_OK) {  // Z_BUF_ERROR: the stream stopped mid-way (a cut download)
      status_ = Status::IoError(fmt::format(
          "cannot read {}: the compressed data ends early (a truncated file?)", paths_[current_]));
    }
  }
  if (got == 0) eof_ = true;
  return static_cast<size_t>(got);
}

bool BlockReader::Next(query::InputBlock* block) {
  for (;;) {
    if (!status_.ok()) return false;
    if (eof_ && pending_.empty() && !Open()) return false;
    std::string& buf = block->bytes;
    buf.swap(pending_);
    pending_.clear();
    // Read until the block holds at least one line end (or the input ends).
    size_t last_nl = std::string::npos;
    while (!eof_) {
      if (last_nl != std::string::npos && (buf.size() >= kBlockBytes || skipping_)) break;
      if (!skipping_ && last_nl == std::string::npos && buf.size() > kMaxLine) break;
      if (skipping_ && buf.size() > kBlockBytes) {  // the over-long line's bytes: drop them
        buf.clear();
      }
      Read(&buf, std::max(kBlockBytes, buf.size() / 2));
      if (!status_.ok()) return false;
      const size_t at = buf.rfind('\n');
      if (at != std::string::npos) last_nl = at;
    }
    if (last_nl == std::string::npos) last_nl = buf.rfind('\n');
    if (skipping_) {  // drop the rest of an over-long line
      if (last_nl == std::string::npos && !eof_) {
        buf.clear();
        continue;
      }
      const size_t end = buf.find('\n');
      buf.erase(0, end == std::string::npos ? buf.size() : end + 1);
      skipping_ = false;
      pending_.swap(buf);
      continue;
    }
    block->source = static_cast<uint32_t>(current_);
    if (last_nl == std::string::npos && buf.size() > kMaxLine) {
      pending_.clear();
      buf.resize(kMaxLine);
      block->size = kMaxLine;
      skipping_ = true;
    } else {
      const size_t end = (last_nl == std::string::npos || eof_) ? buf.size() : last_nl + 1;
      pending_.assign(buf, end, std::string::npos);
      block->size = end;
    }
    if (block->size == 0) continue;
    buf.resize(block->size + simdjson::SIMDJSON_PADDING);
    return true;
  }
}

}  // namespace attrib::cli
