// An open-addressing hash map from strings to small values, for the lookup tables built once
// at start-up and read on every event (host lists, parameter names, value lists). Lookups take
// a string_view and do not allocate; a miss costs one hash and usually one probe. Keys are
// shorter than 16 MiB, and all of them together than 2^40 bytes.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace attrib {

inline uint64_t HashBytes(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

template <class V>
class FlatStringMap {
 public:
  FlatStringMap() { slots_.resize(8); }

  // Returns the value stored under `key`, inserting a default-constructed one first if needed.
  V& operator[](std::string_view key) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t h = HashBytes(key);
    size_t i = h & (slots_.size() - 1);
    for (;; i = (i + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[i];
      if (!s.used) break;
      if (s.hash == h && KeyOf(s) == key) return s.value;
    }
    Slot& s = slots_[i];
    s.used = true;
    s.hash = h;
    assert(key.size() < kMaxKeyBytes);
    s.key = (uint64_t{keys_.size()} << kSizeBits) | key.size();
    keys_.append(key);
    ++size_;
    return s.value;
  }

  const V* Find(std::string_view key) const {
    const uint64_t h = HashBytes(key);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.hash == h && KeyOf(s) == key) return &s.value;
    }
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Calls f(std::string_view key, const V& value) for every entry, in no particular order.
  template <class F>
  void ForEach(F f) const {
    for (const Slot& s : slots_) {
      if (s.used) f(KeyOf(s), s.value);
    }
  }

 private:
  // A key's place in keys_: its offset (up to 2^40 bytes of keys) and its size.
  static constexpr int kSizeBits = 24;
  static constexpr size_t kMaxKeyBytes = size_t{1} << kSizeBits;

  struct Slot {
    uint64_t hash = 0;
    uint64_t key = 0;  // offset << kSizeBits | size
    bool used = false;
    V value{};
  };

  std::string_view KeyOf(const Slot& s) const {
    return std::string_view(keys_).substr(s.key >> kSizeBits, s.key & (kMaxKeyBytes - 1));
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (Slot& s : old) {
      if (!s.used) continue;
      size_t i = s.hash & (slots_.size() - 1);
      while (slots_[i].used) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::string keys_;  // every key, back to back
  size_t size_ = 0;
};

}  // namespace attrib
