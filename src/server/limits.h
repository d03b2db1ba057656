// The server's input limits and timeouts (BLUEPRINT §5). Each limit is tested at limit + 1.
#pragma once

#include <chrono>
#include <cstddef>

#include "ingest/segment.h"

namespace attrib::server {

// A request body, as sent and once decoded (gzip or deflate): Segment's 500 KB batch limit.
// Inflating stops at this size, so a small compressed bomb never becomes a large buffer.
inline constexpr size_t kMaxBodyBytes = ingest::kMaxBatchBytes;
// The request line and headers together.
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
// A query string's parameters: each value, and how many.
inline constexpr size_t kMaxParamBytes = 1024;
inline constexpr size_t kMaxParams = 32;
// Periods in one answer of /v1/attribution?interval= (a day's for almost three years).
inline constexpr size_t kMaxPeriods = 1000;

// Paths in one answer of /v1/paths (its `limit`).
inline constexpr size_t kMaxPaths = 1000;

// Views of projects' aggregates at other lookbacks than their own kept at once (the least
// recently used goes): each holds a project's credits and journeys' paths (about 170 MB for a
// store of 10 M events). Room for the dashboard's five choices besides the project's own.
inline constexpr size_t kMaxLookbackViews = 6;
// A view is made again after the store changed at most this often, and for no more than one
// part in kLookbackRemakeShare of the time (a large project's view takes seconds).
inline constexpr std::chrono::seconds kLookbackRemakeInterval{1};
inline constexpr int kLookbackRemakeShare = 20;

// A connection waiting for its next request is closed after this long idle; a request must
// arrive whole (headers and body) within kRequestTimeout of its first byte.
inline constexpr std::chrono::seconds kIdleTimeout{60};
inline constexpr std::chrono::seconds kRequestTimeout{30};
// After a refusal (413, 431, 400) the client may still be sending what was refused: the server
// reads and drops it, up to this long and this much, before it closes (a lingering close), so
// that the client reads the answer rather than a reset connection.
inline constexpr std::chrono::seconds kLingerTimeout{5};
inline constexpr size_t kMaxLingerBytes = 64 << 20;

}  // namespace attrib::server
