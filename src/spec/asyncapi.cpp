// faststream::asyncapi: the document of an application from its declarations.
#include "faststream/asyncapi.hpp"

#include <stdexcept>
#include <string>

#include <boost/json/value.hpp>

#include "spec/docs_page.hpp"
#include "spec/model.hpp"
#include "spec/render.hpp"
#include "spec/yaml.hpp"

namespace faststream::asyncapi {

Version parse_version(std::string_view text) {
  if (text == "3.0.0") return Version::v3_0_0;
  if (text == "2.6.0") return Version::v2_6_0;
  throw std::invalid_argument("unknown AsyncAPI version '" + std::string(text) +
                              "': use 3.0.0 (the default) or 2.6.0");
}

std::string_view to_string(Version version) noexcept {
  return version == Version::v2_6_0 ? "2.6.0" : "3.0.0";
}

std::string generate(const BrokerCore& broker, const AppInfo& info, const Options& options) {
  const spec::Spec model = spec::build(broker, info);
  const boost::json::value doc =
      options.version == Version::v2_6_0 ? spec::render_v2(model) : spec::render_v3(model);
  return options.yaml ? spec::to_yaml(doc) : spec::to_json(doc);
}

bool page_available() noexcept {
  return spec::embedded_page_assets().has_value();
}

std::string page(const BrokerCore& broker, const AppInfo& info, Version version) {
  const auto assets = spec::embedded_page_assets();
  if (!assets)
    throw std::runtime_error(
        "this build of faststream has no AsyncAPI page (it was configured with "
        "FASTSTREAM_DOCS_PAGE=OFF); use `docs gen` and an AsyncAPI viewer");
  Options options;
  options.version = version;
  return spec::page_html(generate(broker, info, options), info.title, *assets);
}

}  // namespace faststream::asyncapi
