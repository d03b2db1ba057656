#include "storage/keys.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace attrib::storage {
namespace {

static_assert(kReadKeyHashBytes == crypto_generichash_BYTES);

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// libsodium is initialized once, by the first thread to need it (a function-local static).
// Without a working random source there is no key to give: that ends the process.
void InitSodium() {
  static const int initialized = [] {
    const int rc = sodium_init();
    if (rc < 0) {
      std::fputs("attrib: fatal: libsodium cannot be initialized\n", stderr);
      std::abort();
    }
    return rc;
  }();
  (void)initialized;
}

void AppendRandom(size_t n, std::string* out) {
  InitSodium();
  for (size_t i = 0; i < n; ++i) {
    // randombytes_uniform draws without modulo bias.
    out->push_back(kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))]);
  }
}

bool InAlphabet(std::string_view s) {
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string NewWriteKey() {
  std::string key;
  key.reserve(kWriteKeyLength);
  AppendRandom(kWriteKeyLength, &key);
  return key;
}

std::string NewReadKey() {
  std::string key(kReadKeyPrefix);
  key.reserve(kReadKeyLength);
  AppendRandom(kReadKeyIdLength + kReadKeySecretLength, &key);
  return key;
}

std::optional<std::string_view> ReadKeyId(std::string_view key) {
  if (key.size() != kReadKeyLength || !key.starts_with(kReadKeyPrefix) ||
      !InAlphabet(key.substr(kReadKeyPrefix.size()))) {
    return std::nullopt;
  }
  return key.substr(0, kReadKeyPrefix.size() + kReadKeyIdLength);
}

std::string HashReadKey(std::string_view key) {
  InitSodium();
  std::string hash(kReadKeyHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return hash;
}

bool ReadKeyMatches(std::string_view presented, std::string_view stored_hash) {
  if (stored_hash.size() != kReadKeyHashBytes) return false;
  const std::string hash = HashReadKey(presented);
  return sodium_memcmp(hash.data(), stored_hash.data(), kReadKeyHashBytes) == 0;
}

}  // namespace attrib::storage
