# sources of src/spec (paths relative to src/): the AsyncAPI documents
list(APPEND FASTSTREAM_SOURCES
  spec/asyncapi.cpp
  spec/asyncapi_v2.cpp
  spec/asyncapi_v3.cpp
  spec/model.cpp
  spec/yaml.cpp
  spec/docs_page.cpp)

# The AsyncAPI page renderer (@asyncapi/react-component from npm, pinned) is embedded into the
# library: fetched at configure time into the build tree, included by the assembler.
option(FASTSTREAM_DOCS_PAGE "Embed the AsyncAPI HTML page (docs serve, docs gen --html)" ON)
if(FASTSTREAM_DOCS_PAGE)
  set(FASTSTREAM_DOCS_PAGE_DIR ${PROJECT_BINARY_DIR}/docs-page)
  execute_process(
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fetch-docs-page.sh ${FASTSTREAM_DOCS_PAGE_DIR}
    RESULT_VARIABLE _fetched)
  if(NOT _fetched EQUAL 0)
    message(FATAL_ERROR "could not fetch the AsyncAPI page renderer (see above); configure "
                        "with -DFASTSTREAM_DOCS_PAGE=OFF to build without `docs serve`")
  endif()
  file(READ ${FASTSTREAM_DOCS_PAGE_DIR}/stamp FASTSTREAM_DOCS_PAGE_STAMP)
  string(REGEX MATCH "@([0-9.]+) " _version_match "${FASTSTREAM_DOCS_PAGE_STAMP}")
  set(FASTSTREAM_DOCS_PAGE_VERSION ${CMAKE_MATCH_1})
  configure_file(${CMAKE_CURRENT_LIST_DIR}/docs_page_assets.cpp.in
                 ${PROJECT_BINARY_DIR}/generated/docs_page_assets.cpp @ONLY)
  list(APPEND FASTSTREAM_SOURCES ${PROJECT_BINARY_DIR}/generated/docs_page_assets.cpp)
  set_source_files_properties(
    ${PROJECT_BINARY_DIR}/generated/docs_page_assets.cpp
    PROPERTIES OBJECT_DEPENDS
               "${FASTSTREAM_DOCS_PAGE_DIR}/asyncapi-react.js;${FASTSTREAM_DOCS_PAGE_DIR}/asyncapi-react.css")
else()
  list(APPEND FASTSTREAM_SOURCES spec/docs_page_none.cpp)
endif()
