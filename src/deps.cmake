# Libraries the parts of libcafe need beyond libuv. Parts append here.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CURL)
set(CAFE_PC_REQUIRES "libcurl" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl")
