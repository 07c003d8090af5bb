#pragma once
// AsyncAPI documents of an application, built from its declared subscribers and publishers
// (never by connecting to the broker). See docs/asyncapi.md.
#include <string>
#include <string_view>

#include "faststream/app.hpp"
#include "faststream/core.hpp"

namespace faststream::asyncapi {

enum class Version { v3_0_0, v2_6_0 };

// "3.0.0" or "2.6.0"; throws std::invalid_argument naming the accepted values.
Version parse_version(std::string_view text);
std::string_view to_string(Version version) noexcept;

struct Options {
  Version version = Version::v3_0_0;
  bool yaml = false;  // YAML instead of JSON
};

// The document as JSON (pretty, 2-space indent) or YAML text.
std::string generate(const BrokerCore& broker, const AppInfo& info, const Options& options = {});

// The document as one self-contained HTML page that renders it in a browser
// (@asyncapi/react-component, embedded in the library at build time: no CDN, works offline).
// `docs gen --html` writes it and `docs serve` serves it. Throws std::runtime_error when the
// library was built without it (FASTSTREAM_DOCS_PAGE=OFF; see page_available()).
std::string page(const BrokerCore& broker, const AppInfo& info, Version version = Version::v3_0_0);
bool page_available() noexcept;

}  // namespace faststream::asyncapi
