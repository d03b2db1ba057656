// Writes the data-driven benchmarks' journeys (path_data.h) as a ChannelAttribution path table
// for `attrib paths`, so scripts/bench can time it end to end:
//   attrib_make_path_table raw FILE         one row per journey (1,000,000 rows)
//   attrib_make_path_table aggregated FILE  one row per distinct path
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "path_data.h"

int main(int argc, char** argv) {
  const std::string what = argc == 3 ? argv[1] : "";
  if (what != "raw" && what != "aggregated") {
    std::fprintf(stderr, "usage: attrib_make_path_table raw|aggregated FILE\n");
    return 2;
  }
  const attrib::PathTable& table =
      what == "raw" ? attrib::bench::RawJourneys() : attrib::bench::AggregatedRows();
  std::FILE* out = std::fopen(argv[2], "w");
  if (out == nullptr) {
    std::perror(argv[2]);
    return 1;
  }
  std::string text = "path;total_conversions;total_conversion_value;total_null\n";
  for (size_t row = 0; row < table.size(); ++row) {
    std::string path;
    for (const uint32_t c : table.path(row)) {
      path += fmt::format("{}channel_{:02}", path.empty() ? "" : " > ", c + 1);
    }
    const attrib::PathOutcome& o = table.outcome(row);
    text += fmt::format("{};{};{};{}\n", path, o.conversions, o.value, o.nulls);
    if (text.size() > (1 << 20)) {
      std::fwrite(text.data(), 1, text.size(), out);
      text.clear();
    }
  }
  std::fwrite(text.data(), 1, text.size(), out);
  return std::fclose(out) == 0 ? 0 : 1;
}
