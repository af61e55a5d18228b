# cafe_require(PREFIX DEBIAN_PACKAGE MODULE...): pkg_check_modules(PREFIX REQUIRED
# IMPORTED_TARGET MODULE...), but a missing library stops the configuration with the Debian
# package to install (the one scripts/packages.txt lists: `make deps` installs it), not
# only pkg-config's module name.
function(cafe_require prefix debian)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${ARGN})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "cafe needs ${ARGN} (pkg-config), which is missing or too old: install "
                        "the Debian package ${debian} (`make deps` installs every package of "
                        "scripts/packages.txt that the build and the tests need)")
  endif()
  # the modules asked for, so that cafeConfig.cmake can find the same ones for its users
  set_property(GLOBAL PROPERTY CAFE_REQUIRE_${prefix} "${ARGN}")
endfunction()
