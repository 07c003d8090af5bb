// Writes the documents and the YAML corpus the Node and Python checks read, into
// $FASTSTREAM_ASYNCAPI_OUT (a CTest fixture sets it) or a temporary directory.
#include <gtest/gtest.h>

#include <faststream/asyncapi.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "apps.hpp"
#include "spec/yaml.hpp"
#include "spec_files.hpp"

namespace {

namespace fsys = std::filesystem;
using faststream::asyncapi::Version;

void write(const fsys::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  ASSERT_TRUE(out) << "cannot write " << path;
}

TEST(AsyncApiFiles, Write) {
  const char* env = std::getenv("FASTSTREAM_ASYNCAPI_OUT");
  const fsys::path dir = env != nullptr && *env != '\0'
                             ? fsys::path(env)
                             : fsys::temp_directory_path() / "faststream-asyncapi";
  fsys::create_directories(dir);

  faststream::memory::Broker orders;
  spec_test::declare_orders(orders);
  faststream::memory::Broker features{spec_test::kFeaturesUrl};
  spec_test::declare_features(features);

  for (const Version v : {Version::v3_0_0, Version::v2_6_0}) {
    const std::string version(faststream::asyncapi::to_string(v));
    for (const bool yaml : {false, true}) {
      const std::string ext = yaml ? ".yaml" : ".json";
      write(dir / ("orders-" + version + ext),
            faststream::asyncapi::generate(orders.core(), spec_test::orders_info(), {v, yaml}));
      write(dir / ("features-" + version + ext),
            faststream::asyncapi::generate(features.core(), spec_test::features_info(), {v, yaml}));
    }
  }
  const auto corpus = spec_test::yaml_corpus();
  write(dir / "corpus.json", faststream::spec::to_json(corpus));
  write(dir / "corpus.yaml", faststream::spec::to_yaml(corpus));
  std::cout << "wrote the documents to " << dir << "\n";
}

}  // namespace
