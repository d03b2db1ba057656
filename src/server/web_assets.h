// The dashboard's files (web/ and the chart library from npm), compiled into the binary by
// cmake/embed_files.cmake so that `attrib serve` carries its dashboard wherever it runs.
#pragma once

#include <span>

#include "common/embedded_file.h"

namespace attrib::server {

// index.html, app.js, style.css, favicon.svg, echarts.min.js.
std::span<const EmbeddedFile> WebAssets();

}  // namespace attrib::server
