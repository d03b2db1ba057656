// The dashboard, served by `attrib serve`: GET / is its page, GET /assets/NAME its script, styles
// and chart library. It reads only the public query API, with the read key the user signs in
// with. Each file carries an ETag and is revalidated on use (Cache-Control: no-cache), so a
// browser never mixes an old binary's files with a new one's.
#pragma once

#include <optional>
#include <string_view>

#include "server/http_server.h"

namespace attrib::server {

// The answer to GET `path` when it names a dashboard file, gzip-encoded when the request's
// Accept-Encoding allows it, 304 when its If-None-Match is the file's ETag; nullopt otherwise.
std::optional<Response> DashboardFile(std::string_view path, std::string_view if_none_match,
                                      std::string_view accept_encoding);

}  // namespace attrib::server
