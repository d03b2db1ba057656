// Answers to queries, kept until the stores change. A dashboard asks the same questions again
// and again (each load, each viewer, each tab), and a comparison with the data-driven models
// takes tens of milliseconds to learn them; kept, it is answered in a few microseconds.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace attrib::server {

class AnswerCache {
 public:
  // At most `max_bytes` of answers (and keys); an answer larger than an eighth of it is not kept.
  explicit AnswerCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The answer kept for `key` when the stores were at `version` (IngestWriter::store_changes).
  // A newer version forgets every answer kept before it.
  std::optional<std::string> Find(const std::string& key, uint64_t version);
  // Keeps `answer`, computed from the stores at `version`; the least recently used answers go
  // first when there is no room.
  void Put(const std::string& key, uint64_t version, const std::string& answer);

 private:
  struct Entry {
    std::string key, answer;
  };
  void ForgetOlderThan(uint64_t version);  // mu_ held

  const size_t max_bytes_;
  std::mutex mu_;
  uint64_t version_ = 0;  // of every answer kept
  size_t bytes_ = 0;
  std::list<Entry> entries_;  // the most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
};

}  // namespace attrib::server
