// Batch analysis, first phase (internal to batch.cc): one thread's share of the input parsed,
// validated and classified into compact records.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/flat_map.h"
#include "identity/identity.h"
#include "query/batch.h"
#include "query/event_stream.h"

namespace attrib::query::internal {

// A vector in fixed-size chunks: growing never copies, so holding tens of millions of records
// costs their size, not up to three times it while a vector reallocates.
template <class T>
class ChunkedVector {
 public:
  static constexpr size_t kChunkBits = 16;
  static constexpr size_t kChunk = size_t{1} << kChunkBits;

  void push_back(const T& x) {
    if ((size_ & (kChunk - 1)) == 0) {
      chunks_.push_back(std::make_unique_for_overwrite<T[]>(kChunk));
    }
    chunks_.back()[size_ & (kChunk - 1)] = x;
    ++size_;
  }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  // Calls f(T&) on every item, in order.
  template <class F>
  void ForEach(F f) {
    for (size_t i = 0; i < size_; ++i) f((*this)[i]);
  }
  // Appends items [begin, end) to `out`.
  void AppendTo(size_t begin, size_t end, std::vector<T>* out) const {
    while (begin < end) {
      const size_t in_chunk = std::min(end - begin, kChunk - (begin & (kChunk - 1)));
      const T* p = &(*this)[begin];
      out->insert(out->end(), p, p + in_chunk);
      begin += in_chunk;
    }
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

// What a classification id stands for.
struct ClassInfo {
  std::string source, medium, campaign, term, content, rule_id;
  Channel channel = Channel::kDirect;
  Confidence confidence = Confidence::kLow;
};

ClassInfo ToClassInfo(const Classification& c);

// Interns strings to dense ids 0, 1, 2, … in the order they first appear.
class Interner {
 public:
  // The id of `key`; `*added` says whether it was new.
  uint32_t Intern(std::string_view key, bool* added = nullptr) {
    uint32_t& id = ids_[key];  // id + 1; 0: new
    if (added != nullptr) *added = id == 0;
    if (id == 0) {
      keys_.emplace_back(key);
      id = static_cast<uint32_t>(keys_.size());
    }
    return id - 1;
  }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  FlatStringMap<uint32_t> ids_;
  std::vector<std::string> keys_;
};

class ParseWorker : public ingest::MessageSink {
 public:
  ParseWorker(const Classifier& classifier, const AnalysisOptions& options,
              const sessionize::ReferralExclusions& exclusions,
              const FlatStringMap<uint32_t>& conversion_kinds, Micros now);

  // Parses the block numbered `sequence` (in reading order); rejections record their line
  // within the block until Analyze knows where the block starts.
  void ParseBlock(const InputBlock& block, uint64_t sequence);

  void Accept(const ingest::Message& m) override;
  void Reject(const ingest::Rejection& r) override;

  // Outputs.
  EventStream events;
  ChunkedVector<ConversionRecord> conversions;
  std::vector<identity::Link> links;
  Interner classes;                    // by ClassKey
  std::vector<ClassInfo> class_infos;  // … what each stands for
  Interner currencies;
  IngestCounts counts;                      // rejected and accepted (duplicates are found later)
  std::vector<RejectedMessage> rejections;  // `line`: within its block, until Analyze knows
  std::vector<uint64_t> rejection_blocks;   // … the sequence number of each one's block
  std::vector<std::pair<uint64_t, uint64_t>> block_lines;  // (sequence, lines) of each block

 private:
  uint32_t Classify(const ingest::Message& m, uint32_t* flags);
  uint32_t ClassifyUncached(const ingest::Message& m, uint32_t* flags);
  uint32_t InternClass(const Classification& c);
  void AddLink(const identity::Link& link);

  const Classifier& classifier_;
  const AnalysisOptions& options_;
  const sessionize::ReferralExclusions& exclusions_;
  const FlatStringMap<uint32_t>& conversion_kinds_;
  ingest::SegmentParser parser_;
  ingest::ParseContext context_;
  Classification classification_;
  std::string class_key_, url_, currency_;
  // Recent classifications by the hash of (url, referrer), one per slot (512 KiB: held in the
  // core's L2 cache).
  struct CachedVisit {
    uint64_t hash = 0;  // 0: empty
    uint32_t touch = 0, flags = 0;
  };
  static constexpr int kVisitCacheBits = 15;
  std::vector<CachedVisit> visits_ = std::vector<CachedVisit>(size_t{1} << kVisitCacheBits);
  uint32_t source_ = 0;
  uint64_t line_ = 0;  // within the block
  uint64_t block_ = 0;
};

}  // namespace attrib::query::internal
