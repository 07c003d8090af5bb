# Install rules of the core library (target faststream, package component "memory") and the
# CMake and pkg-config packages. Included by the root CMakeLists.txt after add_subdirectory(src)
# so that every backend has registered itself (faststream_add_backend, FaststreamBackend.cmake).
# Layout and usage: docs/packaging.md.
include(CMakePackageConfigHelpers)

# The build tree names the core as its package component too.
add_library(faststream::memory ALIAS faststream)

if(NOT FASTSTREAM_INSTALL)
  return()
endif()

install(TARGETS faststream EXPORT faststream-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT faststream
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT faststream
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT faststream
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Public headers, minus the backends' (each backend installs its own with its component).
get_property(_backends GLOBAL PROPERTY FASTSTREAM_BACKENDS)
set(_backends ${FASTSTREAM_BACKEND_NAMES} ${_backends})
list(REMOVE_DUPLICATES _backends)
list(JOIN _backends "|" _backends)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/faststream
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT faststream
  FILES_MATCHING PATTERN "*.hpp"
  REGEX "/include/faststream/(${_backends})(\\.hpp)?$" EXCLUDE)

install(EXPORT faststream-targets NAMESPACE faststream::
  FILE faststream-targets.cmake
  DESTINATION ${FASTSTREAM_INSTALL_CMAKEDIR} COMPONENT faststream)

# CMake package: config + version file. SameMinorVersion while the version is 0.x (a minor
# release may break the API, so find_package(faststream 0.1) accepts 0.1.y, y >= requested,
# and not 0.2); switch to SameMajorVersion at 1.0.
get_target_property(_type faststream TYPE)
if(_type STREQUAL "STATIC_LIBRARY")
  set(FASTSTREAM_LIBRARY_TYPE "a static library")
else()
  set(FASTSTREAM_LIBRARY_TYPE "a shared library")
endif()
if(DEFINED Boost_VERSION_MAJOR AND DEFINED Boost_VERSION_MINOR)
  set(FASTSTREAM_BOOST_VERSION ${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR})
else()
  set(FASTSTREAM_BOOST_VERSION 1.81)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/faststream-config.cmake.in
  ${PROJECT_BINARY_DIR}/package/faststream-config.cmake
  INSTALL_DESTINATION ${FASTSTREAM_INSTALL_CMAKEDIR}
  NO_SET_AND_CHECK_MACRO NO_CHECK_REQUIRED_COMPONENTS_MACRO)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/faststream-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/faststream-config.cmake
              ${PROJECT_BINARY_DIR}/package/faststream-config-version.cmake
  DESTINATION ${FASTSTREAM_INSTALL_CMAKEDIR} COMPONENT faststream)

# pkg-config: faststream.pc. Boost ships no .pc file, so Boost.JSON (and Boost.Container) go
# in Libs.private as -l (with -L when outside the linker's default directories) and Boost's include directory in
# Cflags when it is not a system one. fmt is public (in our headers): Requires; spdlog is
# private: Requires.private.
_faststream_pc_dirs(PC_PREFIX PC_LIBDIR PC_INCLUDEDIR)
set(PC_BOOST_CFLAGS "")
foreach(_dir IN LISTS Boost_INCLUDE_DIRS)
  if(NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND PC_BOOST_CFLAGS " -I${_dir}")
  endif()
endforeach()
# Boost.JSON and the compiled Boost libraries it links (Boost.Container).
set(_libs Boost::json)
get_target_property(_deps Boost::json INTERFACE_LINK_LIBRARIES)
if(_deps)
  list(APPEND _libs ${_deps})
endif()
set(PC_BOOST_LIBS "")
set(_libdirs "")
foreach(_lib IN LISTS _libs)
  if(NOT TARGET ${_lib})
    continue()
  endif()
  get_target_property(_type ${_lib} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    continue()
  endif()
  get_target_property(_configs ${_lib} IMPORTED_CONFIGURATIONS)
  set(_location "")
  foreach(_config IN LISTS _configs)
    get_target_property(_location ${_lib} IMPORTED_LOCATION_${_config})
    if(_location)
      break()
    endif()
  endforeach()
  if(NOT _location)
    get_target_property(_location ${_lib} IMPORTED_LOCATION)
  endif()
  if(NOT _location)
    message(FATAL_ERROR "faststream.pc: cannot locate ${_lib}")
  endif()
  get_filename_component(_dir "${_location}" DIRECTORY)
  get_filename_component(_name "${_location}" NAME)
  string(REGEX REPLACE "^lib([^.]+)\\..*$" "\\1" _name "${_name}")
  if(NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES AND NOT _dir IN_LIST _libdirs)
    list(APPEND _libdirs ${_dir})
    string(APPEND PC_BOOST_LIBS " -L${_dir}")
  endif()
  string(APPEND PC_BOOST_LIBS " -l${_name}")
endforeach()
string(STRIP "${PC_BOOST_LIBS}" PC_BOOST_LIBS)
configure_file(${CMAKE_CURRENT_LIST_DIR}/faststream.pc.in ${PROJECT_BINARY_DIR}/package/faststream.pc
  @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/faststream.pc
  DESTINATION ${FASTSTREAM_INSTALL_PCDIR} COMPONENT faststream)

unset(_backends)
unset(_type)
unset(_configs)
unset(_config)
unset(_location)
unset(_dir)
unset(_libs)
unset(_lib)
unset(_deps)
unset(_libdirs)
unset(_name)
