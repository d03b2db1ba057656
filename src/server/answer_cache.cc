#include "server/answer_cache.h"

namespace attrib::server {
namespace {

size_t BytesOf(const std::string& key, const std::string& answer) {
  return 2 * key.size() + answer.size();  // the key is in the list and in the index
}

}  // namespace

void AnswerCache::Erase(Entries::iterator it) {
  bytes_ -= BytesOf(it->key, it->answer);
  by_key_.erase(it->key);
  entries_.erase(it);
}

std::optional<std::string> AnswerCache::Find(const std::string& key, uint64_t version) {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  const Entries::iterator entry = it->second;
  if (entry->version != version) {
    if (entry->version < version) Erase(entry);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, entry);
  return entry->answer;
}

void AnswerCache::Put(const std::string& key, uint64_t version, const std::string& answer) {
  const size_t bytes = BytesOf(key, answer);
  if (bytes > max_bytes_ / 8) return;
  std::lock_guard lock(mu_);
  if (const auto it = by_key_.find(key); it != by_key_.end()) {
    if (it->second->version >= version) return;
    Erase(it->second);
  }
  while (bytes_ + bytes > max_bytes_ && !entries_.empty()) Erase(std::prev(entries_.end()));
  entries_.push_front(Entry{key, answer, version});
  by_key_.emplace(key, entries_.begin());
  bytes_ += bytes;
}

}  // namespace attrib::server
