#include "spec/docs_page.hpp"

#include <cctype>

namespace faststream::spec {
namespace {

std::string html_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON inside <script>: every '<' (only ever inside a string) as \u003c, so neither
// "</script>" nor "<!--" can appear in the element.
std::string json_for_script(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 64);
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

bool starts_with_lowercased(std::string_view text, std::string_view lower) {
  if (text.size() < lower.size()) return false;
  for (std::size_t k = 0; k < lower.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(text[k])) != lower[k]) return false;
  return true;
}

// Raw text (a script or a stylesheet) inside its element: a closing tag of that element,
// in any case, gets a backslash after "<" (inert inside JS strings and CSS).
std::string raw_text_for(std::string_view text, std::string_view element) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/' &&
        starts_with_lowercased(text.substr(i + 2), element)) {
      out += "<\\/";
      ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

}  // namespace

std::string page_html(std::string_view document_json, std::string_view title,
                      const PageAssets& assets) {
  std::string page;
  page.reserve(assets.script.size() + assets.stylesheet.size() + document_json.size() + 2048);
  page += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<meta name=\"generator\" content=\"faststream-cpp, @asyncapi/react-component ";
  page += html_escaped(assets.version);
  page += "\">\n<title>";
  page += html_escaped(title);
  page += " — AsyncAPI</title>\n<style>\n";
  page += raw_text_for(assets.stylesheet, "style");
  page += "\n</style>\n</head>\n<body>\n<div id=\"asyncapi\"></div>\n<script>\n";
  page += raw_text_for(assets.script, "script");
  page += "\n</script>\n<script>\nAsyncApiStandalone.render({\n  schema: ";
  page += json_for_script(document_json);
  page +=
      ",\n  config: {\n"
      "    show: {sidebar: true, info: true, servers: true, operations: true, messages: true,\n"
      "           schemas: true, errors: true},\n"
      "    expand: {messageExamples: false},\n"
      "    sidebar: {showServers: 'byDefault', showOperations: 'byDefault'}\n"
      "  }\n}, document.getElementById('asyncapi'));\n</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace faststream::spec
