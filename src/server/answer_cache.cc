#include "server/answer_cache.h"

namespace attrib::server {

void AnswerCache::ForgetOlderThan(uint64_t version) {
  if (version <= version_) return;
  version_ = version;
  entries_.clear();
  by_key_.clear();
  bytes_ = 0;
}

std::optional<std::string> AnswerCache::Find(const std::string& key, uint64_t version) {
  std::lock_guard lock(mu_);
  ForgetOlderThan(version);
  const auto it = by_key_.find(key);
  if (it == by_key_.end() || version != version_) return std::nullopt;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->answer;
}

void AnswerCache::Put(const std::string& key, uint64_t version, const std::string& answer) {
  const size_t bytes = 2 * key.size() + answer.size();
  if (bytes > max_bytes_ / 8) return;
  std::lock_guard lock(mu_);
  ForgetOlderThan(version);
  // An answer of a version older than one already seen (the stores changed while it was
  // computed) is not kept; one seen first is forgotten by the next Find of a newer version.
  if (version != version_ || by_key_.contains(key)) return;
  while (bytes_ + bytes > max_bytes_ && !entries_.empty()) {
    const Entry& last = entries_.back();
    bytes_ -= 2 * last.key.size() + last.answer.size();
    by_key_.erase(last.key);
    entries_.pop_back();
  }
  entries_.push_front(Entry{key, answer});
  by_key_.emplace(key, entries_.begin());
  bytes_ += bytes;
}

}  // namespace attrib::server
