// The classifier's built-in data files (data/classifier/), compiled into the binary so that one
// executable carries its rules. Generated at build time by cmake/embed_files.cmake.
#pragma once

#include <span>

#include "common/embedded_file.h"

namespace attrib::classify {

// Sorted by path (relative to data/classifier/, e.g. "hosts/facebook.tsv").
std::span<const EmbeddedFile> BuiltinFiles();

}  // namespace attrib::classify
