# Packaging layout shared by the core and the backends, and faststream_add_backend().
# Included by the root CMakeLists.txt before add_subdirectory(src); the core's own install
# rules are in FaststreamInstall.cmake (included after src). See docs/packaging.md.
include(GNUInstallDirs)

set(FASTSTREAM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/faststream)
set(FASTSTREAM_INSTALL_PCDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
set(_faststream_cmake_dir ${CMAKE_CURRENT_LIST_DIR})

# Backends whose public headers (include/faststream/<name>.hpp and include/faststream/<name>/)
# belong to their component, not to the core, even before the backend exists or when it is
# not built. faststream_add_backend() adds its name to the global property FASTSTREAM_BACKENDS.
set(FASTSTREAM_BACKEND_NAMES redis nats rabbit kafka)

# The .pc files locate the prefix from their own directory (${pcfiledir}), so the installed
# tree stays valid under `cmake --install --prefix` and when it is moved.
function(_faststream_pc_dirs out_prefix out_libdir out_includedir)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(${out_prefix} "${CMAKE_INSTALL_PREFIX}" PARENT_SCOPE)
    set(${out_libdir} "${CMAKE_INSTALL_FULL_LIBDIR}" PARENT_SCOPE)
    set(${out_includedir} "${CMAKE_INSTALL_FULL_INCLUDEDIR}" PARENT_SCOPE)
    return()
  endif()
  file(RELATIVE_PATH _up "/_p/${FASTSTREAM_INSTALL_PCDIR}" "/_p")
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(${out_prefix} "\${pcfiledir}/${_up}" PARENT_SCOPE)
  set(${out_libdir} "\${prefix}/${CMAKE_INSTALL_LIBDIR}" PARENT_SCOPE)
  set(${out_includedir} "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}" PARENT_SCOPE)
endfunction()

# faststream_add_backend(<name>
#     SOURCES <file>...               the backend's sources (relative to the calling directory)
#     [PKG_CONFIG <module>...]        client libraries found with pkg-config ("hiredis",
#                                     "libnats", "rdkafka>=2.0"); each is linked privately as
#                                     PkgConfig::<module> (a GLOBAL imported target, so tests and
#                                     benchmarks can link the raw client too)
#     [FIND_PACKAGE "<args>"...]      client libraries found with find_package, one quoted
#                                     argument list each ("rabbitmq-c CONFIG"); link their
#                                     targets with LINK_PRIVATE / LINK_PUBLIC
#     [LINK_PRIVATE <lib>...]         more private link dependencies (rabbitmq::rabbitmq)
#     [LINK_PUBLIC <lib>...]          public ones (only if the backend's headers need them)
#     [PC_REQUIRES_PRIVATE <mod>...]  Requires.private of faststream-<name>.pc
#                                     (default: the PKG_CONFIG modules)
#     [PC_LIBS_PRIVATE <flag>...]     Libs.private of faststream-<name>.pc
#     [HEADERS <path>...]             public headers relative to include/faststream (default:
#                                     <name>.hpp and <name>/ where they exist))
#
# Creates the library target faststream_<name> (alias and export name faststream::<name>,
# linking faststream::faststream publicly and the project's warnings/sanitizers privately)
# and, unless FASTSTREAM_INSTALL is OFF, its install rules (install component
# faststream_<name>):
#   lib/libfaststream_<name>.a, its headers,
#   lib/cmake/faststream/faststream-<name>-targets.cmake   (export set faststream-<name>-targets)
#   lib/cmake/faststream/faststream-<name>-component.cmake (finds the client libraries again,
#       then includes the targets; faststream-config.cmake loads it only when a consumer asks
#       for COMPONENTS <name>)
#   lib/pkgconfig/faststream-<name>.pc
# Declare every client library here (not with a separate find_package / pkg_check_modules in
# the backend's CMakeLists): the installed component file recreates exactly these lookups, so
# the imported target names in the exported link interface resolve for consumers.
# The caller adds sources/definitions to the target afterwards as usual.
function(faststream_add_backend name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG ""
    ""
    "SOURCES;PKG_CONFIG;FIND_PACKAGE;LINK_PRIVATE;LINK_PUBLIC;PC_REQUIRES_PRIVATE;PC_LIBS_PRIVATE;HEADERS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "faststream_add_backend(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT name MATCHES "^[a-z][a-z0-9_]*$" OR name STREQUAL "memory")
    message(FATAL_ERROR "faststream_add_backend: bad backend name '${name}'")
  endif()
  set(target faststream_${name})

  # Client libraries; the same lookups are written into the installed component file.
  set(lookups "")
  set(pc_targets "")
  if(ARG_PKG_CONFIG)
    find_package(PkgConfig REQUIRED)
  endif()
  foreach(spec IN LISTS ARG_PKG_CONFIG)
    string(REGEX REPLACE "[<>=].*$" "" module "${spec}")
    string(STRIP "${module}" module)
    string(MAKE_C_IDENTIFIER "${module}" prefix)
    if(NOT TARGET PkgConfig::${prefix})
      pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET GLOBAL "${spec}")
    endif()
    list(APPEND pc_targets PkgConfig::${prefix})
    string(APPEND lookups
      "if(faststream_${name}_FOUND AND NOT TARGET PkgConfig::${prefix})\n"
      "  find_package(PkgConfig QUIET)\n"
      "  if(PKG_CONFIG_FOUND)\n"
      "    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET \"${spec}\")\n"
      "  endif()\n"
      "  if(NOT TARGET PkgConfig::${prefix})\n"
      "    set(faststream_${name}_FOUND FALSE)\n"
      "    set(faststream_${name}_NOT_FOUND_MESSAGE\n"
      "        \"its client library was not found: pkg-config module '${spec}'\")\n"
      "  endif()\n"
      "endif()\n")
  endforeach()
  foreach(pkg IN LISTS ARG_FIND_PACKAGE)
    separate_arguments(pkg_args UNIX_COMMAND "${pkg}")
    list(GET pkg_args 0 pkg_name)
    find_package(${pkg_args} REQUIRED)
    string(APPEND lookups
      "if(faststream_${name}_FOUND)\n"
      "  find_package(${pkg} QUIET)\n"
      "  if(NOT ${pkg_name}_FOUND)\n"
      "    set(faststream_${name}_FOUND FALSE)\n"
      "    set(faststream_${name}_NOT_FOUND_MESSAGE\n"
      "        \"its client library was not found: find_package(${pkg})\")\n"
      "  endif()\n"
      "endif()\n")
  endforeach()

  add_library(${target} ${ARG_SOURCES})
  add_library(faststream::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target}
    PUBLIC faststream ${ARG_LINK_PUBLIC}
    PRIVATE ${pc_targets} ${ARG_LINK_PRIVATE} $<BUILD_INTERFACE:faststream_project_options>)
  set_property(GLOBAL APPEND PROPERTY FASTSTREAM_BACKENDS ${name})

  if(NOT FASTSTREAM_INSTALL)
    return()
  endif()
  set(component faststream_${name})
  install(TARGETS ${target} EXPORT faststream-${name}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${component}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${component}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${component}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  if(NOT ARG_HEADERS)
    foreach(h ${name}.hpp ${name})
      if(EXISTS ${PROJECT_SOURCE_DIR}/include/faststream/${h})
        list(APPEND ARG_HEADERS ${h})
      endif()
    endforeach()
  endif()
  foreach(h IN LISTS ARG_HEADERS)
    set(path ${PROJECT_SOURCE_DIR}/include/faststream/${h})
    get_filename_component(sub "${h}" DIRECTORY)
    if(IS_DIRECTORY ${path})
      install(DIRECTORY ${path} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/faststream/${sub}
              COMPONENT ${component} FILES_MATCHING PATTERN "*.hpp")
    else()
      install(FILES ${path} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/faststream/${sub}
              COMPONENT ${component})
    endif()
  endforeach()
  install(EXPORT faststream-${name}-targets NAMESPACE faststream::
          FILE faststream-${name}-targets.cmake
          DESTINATION ${FASTSTREAM_INSTALL_CMAKEDIR} COMPONENT ${component})

  set(FASTSTREAM_COMPONENT_NAME ${name})
  set(FASTSTREAM_COMPONENT_LOOKUPS "${lookups}")
  configure_file(${_faststream_cmake_dir}/faststream-component.cmake.in
                 ${PROJECT_BINARY_DIR}/package/faststream-${name}-component.cmake @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/faststream-${name}-component.cmake
          DESTINATION ${FASTSTREAM_INSTALL_CMAKEDIR} COMPONENT ${component})

  if(NOT DEFINED ARG_PC_REQUIRES_PRIVATE)
    set(ARG_PC_REQUIRES_PRIVATE ${ARG_PKG_CONFIG})
  endif()
  _faststream_pc_dirs(PC_PREFIX PC_LIBDIR PC_INCLUDEDIR)
  set(PC_NAME ${name})
  set(PC_LIBRARY ${target})
  list(JOIN ARG_PC_REQUIRES_PRIVATE ", " PC_REQUIRES_PRIVATE)
  list(JOIN ARG_PC_LIBS_PRIVATE " " PC_LIBS_PRIVATE)
  configure_file(${_faststream_cmake_dir}/faststream-backend.pc.in
                 ${PROJECT_BINARY_DIR}/package/faststream-${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/faststream-${name}.pc
          DESTINATION ${FASTSTREAM_INSTALL_PCDIR} COMPONENT ${component})
endfunction()
