// Batch analysis, first phase (internal to batch.cc): one thread's share of the input parsed,
// validated and classified into compact records.
#pragma once

#include <string>
#include <vector>

#include "common/flat_map.h"
#include "identity/identity.h"
#include "query/batch.h"

namespace attrib::query::internal {

// The top bits of EventRecord::touch are flags; the rest is a classification id.
inline constexpr uint32_t kTouchBits = 28;
inline constexpr uint32_t kTouchMask = (uint32_t{1} << kTouchBits) - 1;
inline constexpr uint32_t kIdentityOnly = uint32_t{8} << kTouchBits;  // identify, alias, group
inline constexpr uint32_t kFlagShift = kTouchBits;  // sessionize::k* flags above the id

// One accepted message, 24 bytes: the whole input is held as these.
struct EventRecord {
  uint64_t key;    // the person (after identity resolution; before: the event's own id key)
  Micros at;       // the event's time
  uint32_t touch;  // classification id | sessionize flags << kFlagShift | kIdentityOnly
  uint32_t fp;     // the messageId's fingerprint; 0 when there is none
};

struct ConversionRecord {
  uint64_t key;
  Micros at;
  uint64_t fp;  // the messageId's hash; 0 when there is none
  double revenue;
  uint32_t kind;      // index into the conversion events
  uint32_t currency;  // id of the currency name
};

// What a classification id stands for.
struct ClassInfo {
  std::string source, medium, campaign, term, content, rule_id;
  Channel channel = Channel::kDirect;
  Confidence confidence = Confidence::kLow;
};

// Interns values to dense ids.
template <class Info>
struct Interner {
  FlatStringMap<uint32_t> ids;  // key → id + 1
  std::vector<Info> infos;
  std::vector<std::string> keys;
};

class ParseWorker : public ingest::MessageSink {
 public:
  ParseWorker(const Classifier& classifier, const AnalysisOptions& options,
              const sessionize::ReferralExclusions& exclusions,
              const FlatStringMap<uint32_t>& conversion_kinds, Micros now);

  void ParseBlock(const InputBlock& block);

  void Accept(const ingest::Message& m) override;
  void Reject(const ingest::Rejection& r) override;

  // Outputs.
  std::vector<EventRecord> events;
  std::vector<ConversionRecord> conversions;
  std::vector<identity::Link> links;
  Interner<ClassInfo> classes;
  Interner<char> currencies;
  IngestCounts counts;  // rejected and accepted (duplicates are found later)
  std::vector<RejectedMessage> rejections;

 private:
  uint32_t Classify(const ingest::Message& m, uint32_t* flags);
  uint32_t InternClass(const Classification& c);
  void AddLink(const identity::Link& link);

  const Classifier& classifier_;
  const AnalysisOptions& options_;
  const sessionize::ReferralExclusions& exclusions_;
  const FlatStringMap<uint32_t>& conversion_kinds_;
  ingest::SegmentParser parser_;
  ingest::ParseContext context_;
  Classification classification_;
  std::string class_key_, last_class_key_, url_;
  uint32_t last_class_ = 0;
  uint32_t source_ = 0;
  uint64_t line_ = 0;
  bool in_batch_ = false;
};

// The key a classification is interned under.
void ClassKey(const Classification& c, std::string* out);

}  // namespace attrib::query::internal
