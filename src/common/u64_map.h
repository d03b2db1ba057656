// An open-addressing hash map keyed by 64-bit hashes (ids already hashed with XXH3, so the low
// bits index the table directly). Key 0 is reserved for empty slots: callers never use it.
#pragma once

#include <cstdint>
#include <vector>

namespace attrib {

// A bijective 64-bit mix (MurmurHash3's finaliser): distinct inputs, distinct keys, spread over
// the low bits, for keys that are not hashes already (0 stays 0: callers avoid it).
inline uint64_t MixBits(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

template <class V>
class U64Map {
 public:
  explicit U64Map(size_t expected = 0) { Reserve(expected); }

  // Room for `n` keys without growing.
  void Reserve(size_t n) {
    size_t want = 16;
    while (want < n * 2) want *= 2;
    if (want > slots_.size()) Rehash(want);
  }

  // The value under `key` (≠ 0), inserted default-constructed first if needed.
  V& operator[](uint64_t key) {
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    size_t i = key & mask_;
    while (slots_[i].key != 0 && slots_[i].key != key) i = (i + 1) & mask_;
    if (slots_[i].key == 0) {
      slots_[i].key = key;
      ++size_;
    }
    return slots_[i].value;
  }

  const V* Find(uint64_t key) const {
    for (size_t i = key & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == 0) return nullptr;
    }
  }

  size_t size() const { return size_; }

  template <class F>
  void ForEach(F f) const {
    for (const Slot& s : slots_) {
      if (s.key != 0) f(s.key, s.value);
    }
  }

 private:
  struct Slot {
    uint64_t key = 0;
    V value{};
  };

  void Rehash(size_t n) {
    std::vector<Slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    for (Slot& s : old) {
      if (s.key == 0) continue;
      size_t i = s.key & mask_;
      while (slots_[i].key != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace attrib
