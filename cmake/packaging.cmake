# What `cmake --install` and `cpack -G DEB` ship besides the library, its headers and its CMake
# package (CMakeLists.txt): a pkg-config file, the man pages (help2man), the bash completion, and
# the Debian packages' settings. Included from CMakeLists.txt after the targets are defined.

# ---------------------------------------------------------------------------------------------
# pkg-config: watchbot_progress.pc. The private requirements are what a static library needs; a shared
# one lists none (pkg-config would demand their -dev packages even for dynamic linking).
set(WP_PC_REQUIRES_PRIVATE "")
if(BUILD_SHARED_LIBS)
elseif(WP_WITH_REDIS)
  list(APPEND WP_PC_REQUIRES_PRIVATE hiredis)
endif()
if(WP_WITH_AWS AND NOT BUILD_SHARED_LIBS)
  list(APPEND WP_PC_REQUIRES_PRIVATE libcurl libcrypto libssl pugixml)
endif()
if(WP_WITH_SQLITE AND NOT BUILD_SHARED_LIBS)
  list(APPEND WP_PC_REQUIRES_PRIVATE sqlite3)
endif()
list(JOIN WP_PC_REQUIRES_PRIVATE ", " WP_PC_REQUIRES_PRIVATE)
# Absolute paths (an -I of /usr/include spelled relatively would break #include_next).
set(WP_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
set(WP_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/watchbot_progress.pc.in
  ${CMAKE_CURRENT_BINARY_DIR}/watchbot_progress.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/watchbot_progress.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---------------------------------------------------------------------------------------------
# Man pages: one per command, written by help2man from the built tool's --help at build time
# (cmake/man_pages.cmake). help2man is a Debian package (scripts/deps.sh).
find_program(WP_HELP2MAN help2man)
if(WP_HELP2MAN)
  set(_wp_man_default ON)
else()
  set(_wp_man_default OFF)
endif()
option(WP_BUILD_MAN_PAGES "Write the CLI's man pages with help2man (on when help2man is installed)" ${_wp_man_default})
if(WP_BUILD_MAN_PAGES)
  if(NOT WP_HELP2MAN)
    message(FATAL_ERROR "WP_BUILD_MAN_PAGES=ON needs help2man: install it (apt-get install help2man) or configure with -DWP_BUILD_MAN_PAGES=OFF")
  endif()
  set(WP_MAN_DIR ${CMAKE_CURRENT_BINARY_DIR}/man)
  add_custom_command(OUTPUT ${WP_MAN_DIR}/watchbot-progress-cpp.1.gz
    COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:watchbot-progress-cpp> -DHELP2MAN=${WP_HELP2MAN}
            -DVERSION=${PROJECT_VERSION} -DOUTPUT_DIR=${WP_MAN_DIR} -P ${CMAKE_CURRENT_LIST_DIR}/man_pages.cmake
    DEPENDS watchbot-progress-cpp ${CMAKE_CURRENT_LIST_DIR}/man_pages.cmake
    COMMENT "Writing the man pages (help2man)" VERBATIM)
  add_custom_target(man_pages ALL DEPENDS ${WP_MAN_DIR}/watchbot-progress-cpp.1.gz)
  install(DIRECTORY ${WP_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1.gz")
endif()

# ---------------------------------------------------------------------------------------------
# Bash completion (bash-completion loads it from here on first use).
install(FILES ${PROJECT_SOURCE_DIR}/cli/completion/watchbot-progress-cpp.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME watchbot-progress-cpp)

# ---------------------------------------------------------------------------------------------
# The Debian packages: `cpack -G DEB` in the build directory builds one .deb per install component,
# with what the install step installs into the prefix the build was configured with (configure with
# -DCMAKE_INSTALL_PREFIX=/usr for a Debian package: the library then goes to the multiarch directory):
#   - component `library`: watchbot-progress-cpp_VERSION_ARCH.deb, the library, headers, CMake and
#     pkg-config files, the CLI, man pages and completion. Runtime dependencies come from
#     dpkg-shlibdeps (dpkg-dev); the headers include nlohmann/json.hpp, so it also depends on
#     nlohmann-json3-dev.
#   - component `python` (with -DWP_BUILD_PYTHON=ON and the shared library, BUILD_SHARED_LIBS=ON):
#     python3-watchbot-progress_VERSION_ARCH.deb, the Python package for Debian's python3, its
#     extension module linked to the library package's libwatchbot_progress.so.N (python/CMakeLists.txt
#     sets its fields, read by cpack from python/cpack_python.cmake in the build directory).
set(WP_PACKAGE_MAINTAINER "watchbot-progress-cpp maintainers <watchbot-progress-cpp@users.noreply.github.com>"
  CACHE STRING "The Maintainer field of the Debian packages")
if(WP_BUILD_PYTHON AND BUILD_SHARED_LIBS)
  set(WP_PACKAGE_PYTHON ON)
else()
  set(WP_PACKAGE_PYTHON OFF)
endif()
set(CPACK_PACKAGE_NAME watchbot-progress-cpp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's Description starts with its own summary line (CPACK_DEBIAN_<COMPONENT>_DESCRIPTION);
# an empty CPACK_PACKAGE_DESCRIPTION_SUMMARY keeps CPackDeb from putting the same line before both.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_CONTACT "${WP_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Named, not discovered: the components of python/ are not defined yet when include(CPack) runs.
set(CPACK_COMPONENTS_ALL library)
if(WP_PACKAGE_PYTHON)
  list(APPEND CPACK_COMPONENTS_ALL python)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME watchbot-progress-cpp)
set(CPACK_DEBIAN_LIBRARY_DESCRIPTION
  "progress of map-reduce jobs on ECS watchbot: C++ library and command-line tool
Tracks the parts of map-reduce jobs run on ECS watchbot in reduce mode and sends each job's single reduce message, compatible with the Python and Node watchbot-progress tools. Backends: DynamoDB, Redis, SQLite, memory; notifiers: SNS, a local SQLite queue. Contains the shared library, its C++20 headers, CMake package and pkg-config file, the watchbot-progress-cpp command with its man pages and bash completion.")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SHLIBDEPS ON)
# The shlibs file of libwatchbot_progress.so.N (for packages built against it). CPackDeb applies this to
# every package: for python3-watchbot-progress it warns that the module has no soname, and adds nothing.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_DEPENDS "nlohmann-json3-dev (>= 3.10)")
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")
# Checked when cpack runs: a package without its man pages is refused rather than built.
set(WP_CPACK_HAS_MAN_PAGES ${WP_BUILD_MAN_PAGES})
configure_file(${CMAKE_CURRENT_LIST_DIR}/cpack_project_config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/CPackProjectConfig.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/CPackProjectConfig.cmake)
include(CPack)
