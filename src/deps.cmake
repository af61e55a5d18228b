# Libraries the parts of libcafe need beyond libuv. Parts append here.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.85) # CURLOPT_PROTOCOLS_STR
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CURL)
set(CAFE_PC_REQUIRES "libcurl" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl")
# uchardet: encoding detection for pages that declare none (src/html/detect.c).
pkg_check_modules(UCHARDET REQUIRED IMPORTED_TARGET uchardet)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::UCHARDET)
set(CAFE_PC_REQUIRES "libcurl uchardet" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl uchardet")
# c-ares: name resolution on the loop, no thread per lookup (src/http/dns*.c).
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CARES)
set(CAFE_PC_REQUIRES "libcurl uchardet libcares" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl uchardet libcares")
