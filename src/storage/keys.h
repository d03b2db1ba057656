// API keys, without storage: their formats, how a read key is hashed and how a presented key is
// checked against the hash. A write key is public (it ships in browsers) and only ingests; a
// read key (rk_…) is a secret that only queries, and only its hash is stored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace attrib::storage {

inline constexpr size_t kWriteKeyLength = 32;
inline constexpr std::string_view kReadKeyPrefix = "rk_";
inline constexpr size_t kReadKeyIdLength = 8;       // after the prefix: the public id
inline constexpr size_t kReadKeySecretLength = 32;  // after the id
inline constexpr size_t kReadKeyLength =
    kReadKeyPrefix.size() + kReadKeyIdLength + kReadKeySecretLength;  // 43
inline constexpr size_t kReadKeyHashBytes = 32;

// 32 random characters of [A-Za-z0-9] (the shape of Segment's write keys), from the system's
// secure random source.
std::string NewWriteKey();

// "rk_" + an 8-character public id + a 32-character secret, of the same alphabet.
std::string NewReadKey();

// The read key's public id, "rk_" + its 8 id characters (a view into `key`), when `key` has
// exactly the shape of a read key; else nullopt.
std::optional<std::string_view> ReadKeyId(std::string_view key);

// BLAKE2b-256 of the whole key: 32 raw bytes, what the store keeps of a read key.
std::string HashReadKey(std::string_view key);

// Whether `presented` hashes to `stored_hash`, compared in constant time; false when
// `stored_hash` is not a hash (wrong size).
bool ReadKeyMatches(std::string_view presented, std::string_view stored_hash);

}  // namespace attrib::storage
