# sources of src/spec (paths relative to src/): the AsyncAPI documents
list(APPEND FASTSTREAM_SOURCES
  spec/asyncapi.cpp
  spec/asyncapi_v2.cpp
  spec/asyncapi_v3.cpp
  spec/model.cpp
  spec/yaml.cpp)
