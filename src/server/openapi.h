// The HTTP API's OpenAPI document (docs/openapi.json), compiled into the binary by
// cmake/embed_text.cmake so that GET /openapi.json always describes the server it comes from.
#pragma once

#include <string_view>

namespace attrib::server {

std::string_view OpenApiJson();

}  // namespace attrib::server
