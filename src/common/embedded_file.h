// A file compiled into the binary at build time by cmake/embed_files.cmake.
#pragma once

#include <string_view>

namespace attrib {

struct EmbeddedFile {
  std::string_view path;  // its name among the files embedded with it, e.g. "hosts/facebook.tsv"
  std::string_view text;  // its bytes
};

}  // namespace attrib
