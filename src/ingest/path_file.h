// Path tables in ChannelAttribution's format, so its users bring their files unchanged:
//
//   path;total_conversions;total_conversion_value;total_null
//   google > email > direct;12;1340.5;310
//
// One row per path: channels joined by '>' (spaces around them trimmed, empty ones skipped),
// how many journeys of that path converted, their value and how many did not. The header is
// optional (a first line with a field named "path"): with it the columns may come in any
// order, the last two may be missing and other columns are ignored; without it they are
// positional. The delimiter is ';' — or a tab or ','
// when the first line has no ';' outside quotes; with ';' a decimal comma is read too
// (1340,5). Fields may be quoted as in CSV ("a ""b""").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attrib/status.h"
#include "attribution/paths.h"
#include "common/flat_map.h"

namespace attrib::ingest {

inline constexpr size_t kMaxPathRowBytes = 512'000;    // one line
inline constexpr size_t kMaxPathChannelBytes = 1'000;  // one channel's name
using attrib::kMaxPathLength;                          // channels in one path
inline constexpr size_t kMaxPathChannels = 100'000;    // distinct channels in a table
inline constexpr double kMaxPathCount = 1e15;          // conversions or nulls of one row (journeys)
inline constexpr double kMaxPathValue = 1e18;          // the value of one row's conversions

class PathFileParser {
 public:
  // Reads one line (without its line break; a final CR is ignored). `line_number` counts
  // from 1 and names the line in errors. Blank lines are skipped.
  Status AddLine(std::string_view line, uint64_t line_number);

  const PathTable& table() const { return table_; }
  // Channel names by id, in order of first appearance.
  const std::vector<std::string>& channels() const { return names_; }

 private:
  struct Columns {
    int path = 0, conversions = 1, value = 2, nulls = 3;
    size_t count = 4;  // columns a positional row may have at most
  };

  Status ReadHeader(const std::vector<std::string>& fields, uint64_t line_number);
  Status ReadRow(const std::vector<std::string>& fields, uint64_t line_number);

  bool started_ = false;  // the first line (header or not) was read
  bool header_ = false;
  char delimiter_ = ';';
  Columns columns_;
  PathTable table_;
  std::vector<std::string> names_;
  FlatStringMap<uint32_t> ids_;  // name → 1 + id
  std::vector<std::string> fields_;
  std::vector<uint32_t> path_;
};

}  // namespace attrib::ingest
