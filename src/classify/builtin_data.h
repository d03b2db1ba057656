// The classifier's built-in data files (data/classifier/), compiled into the binary so that one
// executable carries its rules. Generated at build time by cmake/embed_files.cmake.
#pragma once

#include <span>
#include <string_view>

namespace attrib::classify {

struct EmbeddedFile {
  std::string_view path;  // relative to data/classifier/, e.g. "hosts/facebook.tsv"
  std::string_view text;
};

// Sorted by path.
std::span<const EmbeddedFile> BuiltinFiles();

}  // namespace attrib::classify
