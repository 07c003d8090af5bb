// The AsyncAPI HTML page (src/spec/docs_page.hpp): what goes into it and what cannot break
// out of its <script> and <style> elements. Rendering is checked by Cli.DocsPageRendersOffline.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <faststream/asyncapi.hpp>
#include <faststream/memory.hpp>
#include <string>

#include "spec/docs_page.hpp"

namespace {

namespace spec = faststream::spec;

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The JSON given to AsyncApiStandalone.render.
std::string embedded_schema(const std::string& page) {
  constexpr std::string_view kCall = "AsyncApiStandalone.render({\n  schema: ";
  const auto start = page.rfind(kCall);
  const auto end = page.rfind(",\n  config: ");
  if (start == std::string::npos || end == std::string::npos || end < start) return {};
  return page.substr(start + kCall.size(), end - start - kCall.size());
}

const spec::PageAssets kAssets{"var AsyncApiStandalone = {render() {}}; var s = '</SCRIPT>';",
                               ".x::after { content: '</style>'; }", "9.9.9"};

TEST(AsyncApiPage, DocumentAndAssetsAreInlineAndNothingBreaksOut) {
  const std::string document =
      R"({"asyncapi":"3.0.0","info":{"title":"t","description":"</script><script>alert(1)</script><!--"}})";
  const std::string page = spec::page_html(document, "Orders <b>&</b>", kAssets);
  EXPECT_TRUE(page.starts_with("<!doctype html>"));
  EXPECT_NE(page.find("<title>Orders &lt;b&gt;&amp;&lt;/b&gt; — AsyncAPI</title>"),
            std::string::npos);
  EXPECT_NE(page.find("@asyncapi/react-component 9.9.9"), std::string::npos);
  // Only the page's own two scripts and one stylesheet close.
  EXPECT_EQ(count(page, "</script>"), 2u) << page;
  EXPECT_EQ(count(page, "</SCRIPT>"), 0u);
  EXPECT_EQ(count(page, "</style>"), 1u) << page;
  EXPECT_EQ(count(page, "<!--"), 0u);
  EXPECT_NE(page.find("var s = '<\\/SCRIPT>';"), std::string::npos);
  // The document arrives unchanged once the browser parses the JSON.
  EXPECT_EQ(boost::json::parse(embedded_schema(page)), boost::json::parse(document));
}

TEST(AsyncApiPage, TheLibraryEmbedsTheRenderer) {
  ASSERT_TRUE(faststream::asyncapi::page_available());
  const auto assets = spec::embedded_page_assets();
  ASSERT_TRUE(assets.has_value());
  EXPECT_GT(assets->script.size(), 1'000'000u);  // the standalone bundle with its parser
  EXPECT_NE(assets->script.find("AsyncApiStandalone"), std::string_view::npos);
  EXPECT_NE(assets->stylesheet.find(".aui-root"), std::string_view::npos);
  EXPECT_EQ(assets->version, "3.2.1");

  faststream::memory::Broker broker("memory://admin:s3cret@box");
  broker.subscriber("orders").handle([](const std::string&) {});
  const std::string page = faststream::asyncapi::page(broker.core(), {.title = "shop"});
  EXPECT_EQ(page.find("s3cret"), std::string::npos);
  const auto document = boost::json::parse(embedded_schema(page));
  EXPECT_EQ(document.at("info").at("title"), "shop");
  EXPECT_EQ(document.at("asyncapi"), "3.0.0");
  bool orders = false;
  for (const auto& [name, channel] : document.at("channels").as_object())
    orders = orders || channel.at("address") == "orders";
  EXPECT_TRUE(orders) << document.at("channels");
}

}  // namespace
