// Event blocks: the events of one visitor that arrived together, encoded back to back and
// compressed (zstd) into one stored value. Storing a block instead of a row per event is what
// lets an import keep up with its parser: one row and one index entry per visitor and batch.
// Strings repeated from the block's previous event (ids, URL, referrer, name) are stored once.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "attrib/clock.h"
#include "attrib/status.h"
#include "ingest/segment.h"

namespace attrib::storage {

// One event as a block holds it. Strings view the decoder's memory (or the caller's, when
// encoding).
struct BlockEvent {
  ingest::MessageType type = ingest::MessageType::kTrack;
  uint8_t flags = 0;        // sessionize::k* flags
  uint64_t dedupe_key = 0;  // the messageId's hash, else the message's (never 0)
  Micros at = 0, received_at = 0;
  uint64_t class_hash = 0;  // of the classification (ClassHash), when flags has kHasUrl
  int32_t kind = -1;        // conversion event, or -1
  double revenue = 0;
  std::string_view currency, message_id, anonymous_id, user_id, previous_id, name;
  std::string_view url, referrer, campaign;
};

// A block is at most this many events; a visitor with more in one batch gets several blocks.
inline constexpr size_t kMaxBlockEvents = 4096;

class BlockEncoder {
 public:
  BlockEncoder();
  void Add(const BlockEvent& e);
  size_t size() const { return count_; }
  // The compressed block; the encoder is empty again afterwards.
  std::string Finish();

 private:
  std::string raw_;
  size_t count_ = 0;
  BlockEvent last_;
  std::string last_strings_[6];  // what `last_`'s repeatable strings were
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx_;
};

class BlockDecoder {
 public:
  BlockDecoder();
  // Decodes `block` and calls f(const BlockEvent&) for each event in order. Errors name a
  // damaged block.
  template <class F>
  Status Decode(std::string_view block, F f);

 private:
  Status Decompress(std::string_view block);
  bool Next(BlockEvent* e);

  std::string raw_;
  size_t pos_ = 0;
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx_;
};

template <class F>
Status BlockDecoder::Decode(std::string_view block, F f) {
  ATTRIB_RETURN_IF_ERROR(Decompress(block));
  BlockEvent e;
  while (pos_ < raw_.size()) {
    if (!Next(&e)) return Status::Internal("store: an event block is damaged");
    f(static_cast<const BlockEvent&>(e));
  }
  return Status::Ok();
}

}  // namespace attrib::storage
