#include "cli/input.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace attrib::cli {
namespace {

constexpr size_t kMaxLine = BlockReader::kMaxLine;

class BlockReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::temp_directory_path() / "attrib-input-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string WriteGzip(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    gzFile gz = gzopen(path.c_str(), "wb");
    EXPECT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())),
              static_cast<int>(text.size()));
    gzclose(gz);
    return path;
  }

  // The lines the reader hands out, by input, each block checked for whole lines and padding.
  static std::vector<std::vector<std::string>> ReadLines(BlockReader& reader, size_t inputs) {
    std::vector<std::vector<std::string>> lines(inputs);
    query::InputBlock block;
    while (reader.Next(&block)) {
      EXPECT_FALSE(block.lines.empty());
      EXPECT_GE(block.buffer.size(), block.lines.data() - block.buffer.data() + block.lines.size() +
                                         simdjson::SIMDJSON_PADDING);
      std::string_view rest = block.lines;
      const bool whole = rest.back() == '\n';
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        lines.at(block.source).emplace_back(rest.substr(0, nl));
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      }
      // A block ends at a line end, except the last of an input or a cut over-long line.
      if (!whole) {
        EXPECT_LE(lines[block.source].back().size(), kMaxLine);
      }
    }
    EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
    return lines;
  }

  std::string dir_;
};

// Lines of every length that matters: empty, short, across block boundaries, just under and
// over the longest document, and longer than a block.
std::vector<std::string> MixedLines() {
  std::mt19937 rng(7);
  std::vector<std::string> lines;
  const size_t sizes[] = {
      0,       1, 900, kMaxLine - 1, kMaxLine, kMaxLine + 1, 1 << 20, (2 << 20) + 5,
      5 << 20, 3, 0,   70000};
  for (int round = 0; round < 3; ++round) {
    for (const size_t size : sizes) {
      std::string line(size, 'a');
      for (char& c : line) c = static_cast<char>('a' + rng() % 26);
      lines.push_back(line);
      for (int i = 0; i < 2000; ++i) lines.push_back(std::string(rng() % 1500, 'x'));
    }
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines, bool final_newline) {
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    text += lines[i];
    if (i + 1 < lines.size() || final_newline) text += '\n';
  }
  return text;
}

// "" when equal, an over-long line either whole or cut to kMaxLine bytes; else where they
// first differ (the lines are too long to print).
std::string Difference(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    const bool cut = i < got.size() && i < want.size() && got[i].size() == kMaxLine &&
                     want[i].starts_with(got[i]);
    if (i >= got.size() || i >= want.size() || (got[i] != want[i] && !cut)) {
      return "line " + std::to_string(i + 1) + ": got " +
             (i < got.size() ? std::to_string(got[i].size()) + " bytes" : "none") + ", want " +
             (i < want.size() ? std::to_string(want[i].size()) + " bytes" : "none");
    }
  }
  return "";
}

TEST_F(BlockReaderTest, EveryLineOnceInOrderOverLongOnesCut) {
  const std::vector<std::string> lines = MixedLines();
  for (const bool final_newline : {true, false}) {
    const std::string text = Join(lines, final_newline);
    BlockReader plain({Write("a.jsonl", text)});
    const std::vector<std::string> got = ReadLines(plain, 1).at(0);
    EXPECT_EQ(Difference(got, lines), "") << "final newline " << final_newline;
    // Lines longer than a block cannot be held whole: the three of 5 MiB are cut (and three
    // are exactly kMaxLine long).
    const size_t cut = std::count_if(got.begin(), got.end(),
                                     [](const std::string& l) { return l.size() == kMaxLine; });
    EXPECT_GE(cut, 6u);
    BlockReader gz({WriteGzip("a.jsonl.gz", text)});
    EXPECT_EQ(Difference(ReadLines(gz, 1).at(0), lines), "")
        << "gzip, final newline " << final_newline;
  }
}

TEST_F(BlockReaderTest, SeveralInputsKeepTheirLinesApart) {
  BlockReader reader({Write("a", "one\ntwo"), Write("empty", ""), Write("b", "three\n")});
  const auto lines = ReadLines(reader, 3);
  EXPECT_EQ(lines[0], (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(lines[1].empty());
  EXPECT_EQ(lines[2], (std::vector<std::string>{"three"}));
}

TEST_F(BlockReaderTest, MissingInputIsNamed) {
  BlockReader reader({Write("a", "one\n"), dir_ + "/missing"});
  EXPECT_NE(reader.CheckInputs().message().find(dir_ + "/missing"), std::string::npos);
  query::InputBlock block;
  EXPECT_TRUE(reader.Next(&block));
  EXPECT_FALSE(reader.Next(&block));
  EXPECT_NE(reader.status().message().find(dir_ + "/missing"), std::string::npos);
}

}  // namespace
}  // namespace attrib::cli
