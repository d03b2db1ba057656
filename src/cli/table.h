// Plain-text tables for the terminal: columns padded to their widest cell (counted in UTF-8
// code points), numbers right-aligned.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attrib::cli {

class TextTable {
 public:
  struct Column {
    std::string header;
    bool right = false;  // right-align (numbers)
  };
  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// 1234567 → "1,234,567".
std::string WithThousands(unsigned long long n);

}  // namespace attrib::cli
