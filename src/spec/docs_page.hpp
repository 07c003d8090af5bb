#pragma once
// The AsyncAPI HTML page: the document rendered in the browser by @asyncapi/react-component,
// whose standalone bundle and stylesheet are embedded in the library at build time
// (scripts/fetch-docs-page.sh, pinned), so the page works offline and loads nothing from a CDN.
#include <optional>
#include <string>
#include <string_view>

namespace faststream::spec {

struct PageAssets {
  std::string_view script;      // the standalone bundle (defines AsyncApiStandalone)
  std::string_view stylesheet;  // its default stylesheet
  std::string_view version;     // of @asyncapi/react-component
};

// The embedded assets; none when the library was configured with FASTSTREAM_DOCS_PAGE=OFF.
std::optional<PageAssets> embedded_page_assets();

// One self-contained HTML page: `document_json` (an AsyncAPI document as JSON) and the assets
// inline. Text that would end a <script> or <style> element early is escaped, so a description
// cannot break out of the page.
std::string page_html(std::string_view document_json, std::string_view title,
                      const PageAssets& assets);

}  // namespace faststream::spec
