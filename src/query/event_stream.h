// Batch analysis (internal): EventRecords packed into bytes. The whole input is held as records
// until identity is resolved, so their size is the analysis' memory: a record that follows one
// of the same visitor (a visitor's events mostly come one after another) costs about 10 bytes
// instead of 24.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "attrib/clock.h"
#include "attribution/person.h"

namespace attrib::query::internal {

// Records appended in order, read back once in that order.
class EventStream {
 public:
  void Append(const EventRecord& e) {
    if (blocks_.empty() || blocks_.back().size + kMaxRecordBytes > blocks_.back().capacity) {
      // Small at first (many streams hold few records), doubling up to kMaxBlockBytes.
      const size_t capacity =
          blocks_.empty() ? kMinBlockBytes : std::min(2 * blocks_.back().capacity, kMaxBlockBytes);
      blocks_.push_back(Block{std::make_unique_for_overwrite<uint8_t[]>(capacity), 0, capacity});
    }
    Block& block = blocks_.back();
    uint8_t* p = block.bytes.get() + block.size;
    const bool same_key = size_ > 0 && e.key == last_.key;
    const uint32_t id = e.touch & kTouchMask;
    const bool same_id = size_ > 0 && id == (last_.touch & kTouchMask);
    *p++ = static_cast<uint8_t>(same_key | (e.fp != 0) << 1 | same_id << 2 |
                                (e.touch >> kTouchBits) << 3);
    if (!same_key) {
      std::memcpy(p, &e.key, sizeof e.key);
      p += sizeof e.key;
    }
    p = PutVarint(p, ZigZag(same_key ? e.at - last_.at : e.at));
    if (!same_id) p = PutVarint(p, id);
    if (e.fp != 0) {
      std::memcpy(p, &e.fp, sizeof e.fp);
      p += sizeof e.fp;
    }
    const size_t size = static_cast<size_t>(p - block.bytes.get());
    encoded_ += size - block.size;
    block.size = size;
    last_ = e;
    ++size_;
  }

  size_t size() const { return size_; }
  // Bytes of the packed records.
  size_t encoded_bytes() const { return encoded_; }

  // Calls f(const EventRecord&) on every record in order, releasing the bytes as it goes; the
  // stream is empty afterwards.
  template <class F>
  void Drain(F f) {
    EventRecord e{};
    for (Block& block : blocks_) {
      const uint8_t* p = block.bytes.get();
      const uint8_t* end = p + block.size;
      while (p < end) {
        const uint8_t tag = *p++;
        if (!(tag & 1)) {
          std::memcpy(&e.key, p, sizeof e.key);
          p += sizeof e.key;
        }
        uint64_t v;
        p = GetVarint(p, &v);
        e.at = (tag & 1) ? e.at + UnZigZag(v) : UnZigZag(v);
        uint32_t id = e.touch & kTouchMask;
        if (!(tag & 4)) {
          p = GetVarint(p, &v);
          id = static_cast<uint32_t>(v);
        }
        e.touch = id | static_cast<uint32_t>(tag >> 3) << kTouchBits;
        e.fp = 0;
        if (tag & 2) {
          std::memcpy(&e.fp, p, sizeof e.fp);
          p += sizeof e.fp;
        }
        f(std::as_const(e));  // `e` is the state the next record is decoded from
      }
      block.bytes.reset();
    }
    blocks_.clear();
    size_ = encoded_ = 0;
  }

 private:
  static_assert(kTouchBits == 27, "the tag byte holds the 5 flag bits above the id");
  static constexpr size_t kMinBlockBytes = 256, kMaxBlockBytes = 16 << 10;
  static constexpr size_t kMaxRecordBytes = 1 + 8 + 10 + 5 + 4;  // tag key at id fp

  struct Block {
    std::unique_ptr<uint8_t[]> bytes;
    size_t size = 0, capacity = 0;
  };

  static uint64_t ZigZag(int64_t x) {
    return (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63);
  }
  static int64_t UnZigZag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  static uint8_t* PutVarint(uint8_t* p, uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
  }
  static const uint8_t* GetVarint(const uint8_t* p, uint64_t* v) {
    uint64_t x = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = *p++;
      x |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) break;
    }
    *v = x;
    return p;
  }

  std::vector<Block> blocks_;
  size_t size_ = 0, encoded_ = 0;
  EventRecord last_{};  // the last record appended: deltas are taken from it
};

}  // namespace attrib::query::internal
