// Answers to queries, kept until their project's store changes. A dashboard asks the same
// questions again and again (each load, each viewer, each tab), and a comparison with the
// data-driven models takes tens of milliseconds to learn them; kept, it is answered at once.
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

  // The answer kept for `key` if it was computed at `version` of its store
  // (IngestWriter::store_changes); one of an older version is forgotten.
  std::optional<std::string> Find(const std::string& key, uint64_t version);
  // Keeps `answer`, computed at `version`, unless a newer one is kept; the least recently used
  // answers go first when there is no room.
  void Put(const std::string& key, uint64_t version, const std::string& answer);

 private:
  struct Entry {
    std::string key, answer;
    uint64_t version = 0;
  };
  using Entries = std::list<Entry>;
  void Erase(Entries::iterator it);  // mu_ held

  const size_t max_bytes_;
  std::mutex mu_;
  size_t bytes_ = 0;
  Entries entries_;  // the most recently used first
  std::unordered_map<std::string, Entries::iterator> by_key_;
};

}  // namespace attrib::server
