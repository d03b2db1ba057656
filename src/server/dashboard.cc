#include "server/dashboard.h"

#include <fmt/format.h>
#include <zlib.h>

#include <functional>
#include <string>
#include <vector>

#include "server/web_assets.h"

namespace attrib::server {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kAssetsPrefix = "/assets/";

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// `text` as a gzip member: done once, at the first request for the dashboard.
std::string Gzip(std::string_view text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);  // the output has room for all of it (deflateBound)
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct File {
  std::string_view name, text;
  std::string gzip, etag;
};

const std::vector<File>& Files() {
  static const std::vector<File> files = [] {
    std::vector<File> out;
    for (const EmbeddedFile& f : WebAssets()) {
      out.push_back(File{f.path, f.text, Gzip(f.text),
                         fmt::format("\"{:016x}\"", std::hash<std::string_view>{}(f.text))});
    }
    return out;
  }();
  return files;
}

}  // namespace

std::optional<Response> DashboardFile(std::string_view path, std::string_view if_none_match,
                                      std::string_view accept_encoding) {
  std::string_view name;
  if (path == "/") {
    name = "index.html";
  } else if (path.starts_with(kAssetsPrefix)) {
    name = path.substr(kAssetsPrefix.size());
  } else {
    return std::nullopt;
  }
  for (const File& f : Files()) {
    if (f.name != name) continue;
    // The two encodings are two representations: each its own ETag.
    const bool gzip = accept_encoding.find("gzip") != std::string_view::npos;
    const std::string etag = gzip ? f.etag.substr(0, f.etag.size() - 1) + "-gz\"" : f.etag;
    Response res{http::status::ok, 11};
    res.set(http::field::etag, etag);
    res.set(http::field::cache_control, "no-cache");
    res.set(http::field::vary, "Accept-Encoding");
    res.set("X-Content-Type-Options", "nosniff");
    if (if_none_match == etag) {
      res.result(http::status::not_modified);
      return res;
    }
    res.set(http::field::content_type, ContentType(name));
    if (name == "index.html") {
      // Scripts and styles from this server only (charts set element styles inline), never in
      // a frame; the page sends no Referer (the read key is never in a URL anyway).
      res.set("Content-Security-Policy",
              "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      res.set("Referrer-Policy", "no-referrer");
    }
    if (gzip) {
      res.set(http::field::content_encoding, "gzip");
      res.body() = f.gzip;
    } else {
      res.body() = std::string(f.text);
    }
    return res;
  }
  return std::nullopt;
}

}  // namespace attrib::server
