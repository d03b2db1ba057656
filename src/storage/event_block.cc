#include "storage/event_block.h"

#include <cstring>

namespace attrib::storage {
namespace {

// Bits of an event's mask. The first six: the string equals the previous event's.
constexpr int kRepeatable = 6;  // anonymous_id, user_id, url, referrer, name, campaign
constexpr uint16_t kHasClass = 1 << 6;
constexpr uint16_t kHasKind = 1 << 7;
constexpr uint16_t kHasMessageId = 1 << 8;
constexpr uint16_t kHasPreviousId = 1 << 9;

std::string_view* Repeatable(BlockEvent& e, int i) {
  std::string_view* fields[kRepeatable] = {&e.anonymous_id, &e.user_id, &e.url,
                                           &e.referrer,     &e.name,    &e.campaign};
  return fields[i];
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
uint64_t ZigZag(int64_t x) {
  return (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
template <class T>
void PutFixed(std::string* out, T v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  out->append(bytes, sizeof v);
}
void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

// Reads from raw[*pos]; false past the end.
bool GetVarint(const std::string& raw, size_t* pos, uint64_t* v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= raw.size()) return false;
    const auto b = static_cast<uint8_t>(raw[(*pos)++]);
    x |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) {
      *v = x;
      return true;
    }
  }
  return false;
}
template <class T>
bool GetFixed(const std::string& raw, size_t* pos, T* v) {
  if (raw.size() - *pos < sizeof *v) return false;
  std::memcpy(v, raw.data() + *pos, sizeof *v);
  *pos += sizeof *v;
  return true;
}
bool GetString(const std::string& raw, size_t* pos, std::string_view* s) {
  uint64_t n;
  if (!GetVarint(raw, pos, &n) || raw.size() - *pos < n) return false;
  *s = std::string_view(raw.data() + *pos, n);
  *pos += n;
  return true;
}

}  // namespace

BlockEncoder::BlockEncoder() : cctx_(ZSTD_createCCtx(), ZSTD_freeCCtx) {
  // Blocks are small (most under 1 KiB): a small window and tables cost less to set up for each
  // one, and a fast level (−3) compresses the demo's blocks 1.46× in a third of level 1's time
  // (1.67×), which decides how fast an import is.
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, -3);
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_windowLog, 16);
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_hashLog, 12);
  ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_chainLog, 12);
}

void BlockEncoder::Add(const BlockEvent& e) {
  uint16_t mask = 0;
  BlockEvent copy = e;
  for (int i = 0; i < kRepeatable; ++i) {
    if (count_ > 0 && *Repeatable(copy, i) == last_strings_[i]) mask |= uint16_t{1} << i;
  }
  if (e.class_hash != 0) mask |= kHasClass;
  if (e.kind >= 0) mask |= kHasKind;
  if (!e.message_id.empty()) mask |= kHasMessageId;
  if (!e.previous_id.empty()) mask |= kHasPreviousId;
  raw_.push_back(static_cast<char>(e.type));
  raw_.push_back(static_cast<char>(e.flags));
  PutFixed(&raw_, mask);
  PutVarint(&raw_, ZigZag(e.at - (count_ > 0 ? last_.at : 0)));
  PutVarint(&raw_, ZigZag(e.received_at - e.at));
  PutFixed(&raw_, e.dedupe_key);
  if (mask & kHasClass) PutFixed(&raw_, e.class_hash);
  if (mask & kHasKind) {
    PutVarint(&raw_, static_cast<uint64_t>(e.kind));
    PutFixed(&raw_, e.revenue);
    PutString(&raw_, e.currency);
  }
  if (mask & kHasMessageId) PutString(&raw_, e.message_id);
  for (int i = 0; i < kRepeatable; ++i) {
    if (mask & (uint16_t{1} << i)) continue;
    PutString(&raw_, *Repeatable(copy, i));
    last_strings_[i].assign(*Repeatable(copy, i));
  }
  if (mask & kHasPreviousId) PutString(&raw_, e.previous_id);
  last_.at = e.at;
  ++count_;
}

std::string BlockEncoder::Finish() {
  std::string out(ZSTD_compressBound(raw_.size()), '\0');
  const size_t n = ZSTD_compress2(cctx_.get(), out.data(), out.size(), raw_.data(), raw_.size());
  out.resize(ZSTD_isError(n) ? 0 : n);  // compressing into its bound cannot fail
  raw_.clear();
  count_ = 0;
  return out;
}

BlockDecoder::BlockDecoder() : dctx_(ZSTD_createDCtx(), ZSTD_freeDCtx) {}

Status BlockDecoder::Decompress(std::string_view block) {
  const unsigned long long size = ZSTD_getFrameContentSize(block.data(), block.size());
  // Blocks hold at most kMaxBlockEvents events of at most a message's size each.
  constexpr unsigned long long kMaxRaw = kMaxBlockEvents * (ingest::kMaxMessageBytes + 64);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxRaw) {
    return Status::Internal("store: an event block is damaged");
  }
  raw_.resize(size);
  const size_t n =
      ZSTD_decompressDCtx(dctx_.get(), raw_.data(), raw_.size(), block.data(), block.size());
  if (ZSTD_isError(n) || n != size) return Status::Internal("store: an event block is damaged");
  pos_ = 0;
  return Status::Ok();
}

bool BlockDecoder::Next(BlockEvent* e) {
  uint8_t type, flags;
  uint16_t mask;
  uint64_t v;
  if (!GetFixed(raw_, &pos_, &type) || !GetFixed(raw_, &pos_, &flags) ||
      !GetFixed(raw_, &pos_, &mask) || type > static_cast<uint8_t>(ingest::MessageType::kAlias)) {
    return false;
  }
  const bool first = pos_ == 4;
  e->type = static_cast<ingest::MessageType>(type);
  e->flags = flags;
  if (!GetVarint(raw_, &pos_, &v)) return false;
  e->at = (first ? 0 : e->at) + UnZigZag(v);
  if (!GetVarint(raw_, &pos_, &v)) return false;
  e->received_at = e->at + UnZigZag(v);
  if (!GetFixed(raw_, &pos_, &e->dedupe_key)) return false;
  e->class_hash = 0;
  if ((mask & kHasClass) && !GetFixed(raw_, &pos_, &e->class_hash)) return false;
  e->kind = -1;
  e->revenue = 0;
  e->currency = {};
  if (mask & kHasKind) {
    if (!GetVarint(raw_, &pos_, &v) || v > INT32_MAX || !GetFixed(raw_, &pos_, &e->revenue) ||
        !GetString(raw_, &pos_, &e->currency)) {
      return false;
    }
    e->kind = static_cast<int32_t>(v);
  }
  e->message_id = {};
  if ((mask & kHasMessageId) && !GetString(raw_, &pos_, &e->message_id)) return false;
  for (int i = 0; i < kRepeatable; ++i) {
    if (mask & (uint16_t{1} << i)) {
      if (first) return false;  // nothing to repeat
      continue;
    }
    if (!GetString(raw_, &pos_, Repeatable(*e, i))) return false;
  }
  e->previous_id = {};
  if ((mask & kHasPreviousId) && !GetString(raw_, &pos_, &e->previous_id)) return false;
  return true;
}

}  // namespace attrib::storage
