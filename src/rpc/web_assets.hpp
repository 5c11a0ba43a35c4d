// tessera's own web interface (web/), as the daemon serves it at /tessera/web/: the files built
// from web/ and embedded in the binary at build time (cmake/web_ui.cmake, cmake/embed_web.cmake),
// and the content type and ETag rules shared by the embedded copy and --web-ui-dir.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tessera::rpc {

/// One file of the web interface. Every view points into static storage (the program's image).
struct web_asset {
  std::string_view path;          ///< relative to /tessera/web/, e.g. "index.html", "app.js"
  std::string_view content_type;  ///< the Content-Type value (web_ui_content_type(path))
  std::string_view etag;          ///< the ETag value, quoted: web_ui_etag(body)
  std::string_view body;          ///< the file's bytes
  /// The same bytes gzip-compressed (RFC 1952), served with Content-Encoding: gzip to a client
  /// that accepts it; empty when the build did not compress the file (small, binary, or saving
  /// less than a tenth).
  std::string_view gzip;
};

/// Every embedded file, sorted by path. Defined in the source generated at build time
/// (<build>/generated/web_assets_data.cpp); never empty (the build fails without index.html's
/// bundle). Any thread.
std::span<const web_asset> embedded_web_assets() noexcept;

/// The embedded file at `path` (as web_relative_path gives it: no leading '/', a directory already
/// turned into its index.html), or nullptr. Any thread.
const web_asset* find_embedded_web_asset(std::string_view path) noexcept;

/// The Content-Type a web interface file is served with, from its extension (ASCII
/// case-insensitive): html, js/mjs, css and txt as text with "; charset=utf-8", svg, json/map,
/// webmanifest, png, ico, woff2; anything else application/octet-stream (which nosniff then keeps
/// from running). cmake/embed_web.cmake applies the same table at build time.
std::string_view web_ui_content_type(std::string_view path);

/// The ETag of a file's bytes: the first 16 hex digits of their SHA-256, in double quotes (a
/// strong validator). cmake/embed_web.cmake computes the same for the embedded files.
std::string web_ui_etag(std::string_view body);

}  // namespace tessera::rpc
