#pragma once
// The page's static files (cli/dashboard/web/), compiled into the binary: CMake turns them into
// the generated dashboard_assets.cpp (cmake/embed_files.cmake), so serve needs no file at run time.

#include <cstddef>
#include <string_view>

namespace wpcli::dashboard {

struct Asset {
    std::string_view path;          // URL path, e.g. "/app.js"
    std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
    std::string_view content;
};

// The asset served at `path` ("/" is "/index.html"); nullptr when there is none.
const Asset* find_asset(std::string_view path);

}  // namespace wpcli::dashboard
