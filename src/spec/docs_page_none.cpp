// Built with FASTSTREAM_DOCS_PAGE=OFF: no AsyncAPI page renderer is embedded.
#include "spec/docs_page.hpp"

namespace faststream::spec {

std::optional<PageAssets> embedded_page_assets() {
  return std::nullopt;
}

}  // namespace faststream::spec
