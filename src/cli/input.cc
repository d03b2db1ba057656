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
BlockReader::~BlockReader() {
  if (gz_ != nullptr) gzclose(gz_);
  if (fd_ >= 0) close(fd_);
}

Status BlockReader::CheckInputs() const {
  for (const std::string& path : paths_) {
    // access(), not open(): opening a named pipe and closing it would cut off its writer.
    if (path != "-" && access(path.c_str(), R_OK) != 0) {
      return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
  }
  return Status::Ok();
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

size_t BlockReader::Read(std::string* buf, size_t* used, size_t n) {
  // Grown, never shrunk: bytes once allocated are not zeroed again.
  if (buf->size() < *used + n + simdjson::SIMDJSON_PADDING) {
    buf->resize(*used + n + simdjson::SIMDJSON_PADDING);
  }
  char* at = buf->data() + *used;
  long got;
  if (gz_ != nullptr) {
    got = gzread(gz_, at, static_cast<unsigned>(n));
  } else {
    do {
      got = read(fd_, at, n);
    } while (got < 0 && errno == EINTR);
  }
  if (got < 0) {
    int code;
    status_ =
        Status::IoError(fmt::format("cannot read {}: {}", paths_[current_],
                                    gz_ != nullptr ? gzerror(gz_, &code) : std::strerror(errno)));
    eof_ = true;
    return 0;
  }
  *used += static_cast<size_t>(got);
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
  block->owner.reset();
  std::string& buf = block->buffer;
  constexpr size_t npos = std::string::npos;
  const auto line_end = [&](size_t from, size_t to, bool last) -> size_t {
    const char* b = buf.data();
    const void* nl =
        last ? memrchr(b + from, '\n', to - from) : std::memchr(b + from, '\n', to - from);
    return nl == nullptr ? npos : static_cast<size_t>(static_cast<const char*>(nl) - b);
  };
  for (;;) {
    if (!status_.ok()) return false;
    if (eof_ && pending_.empty() && !Open()) return false;
    // The block starts with the bytes read after the last block's last line.
    size_t used = pending_.size();
    if (buf.size() < used + simdjson::SIMDJSON_PADDING) {
      buf.resize(used + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(buf.data(), pending_.data(), used);
    pending_.clear();
    // Read until the block holds at least one line end (or the input ends).
    size_t last_nl = npos;
    while (!eof_) {
      if (last_nl != npos && (used >= kBlockBytes || skipping_)) break;
      if (!skipping_ && last_nl == npos && used > kMaxLine) break;
      if (skipping_ && used > kBlockBytes) used = 0;  // the over-long line's bytes: drop them
      const size_t before = used;
      Read(&buf, &used, std::max(kBlockBytes, used / 2));
      if (!status_.ok()) return false;
      if (const size_t at = line_end(before, used, true); at != npos) last_nl = at;
    }
    if (last_nl == npos) last_nl = line_end(0, used, true);
    if (skipping_) {  // drop the rest of an over-long line
      if (last_nl == npos && !eof_) continue;
      const size_t end = line_end(0, used, false);
      if (end != npos) pending_.assign(buf.data() + end + 1, used - end - 1);
      skipping_ = false;
      continue;
    }
    block->source = static_cast<uint32_t>(current_);
    size_t size;
    if (last_nl == npos && used > kMaxLine) {
      size = kMaxLine;
      skipping_ = true;
    } else {
      size = (last_nl == npos || eof_) ? used : last_nl + 1;
      pending_.assign(buf.data() + size, used - size);
    }
    if (size == 0) continue;
    block->lines = std::string_view(buf.data(), size);
    return true;
  }
}

}  // namespace attrib::cli
