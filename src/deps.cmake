# Libraries the parts of libcafe need beyond libuv. Parts append here.
cafe_require(CURL libcurl4-openssl-dev libcurl>=7.85) # CURLOPT_PROTOCOLS_STR
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CURL)
set(CAFE_PC_REQUIRES "libcurl" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl")
# uchardet: encoding detection for pages that declare none (src/html/detect.c).
cafe_require(UCHARDET libuchardet-dev uchardet)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::UCHARDET)
set(CAFE_PC_REQUIRES "libcurl uchardet" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl uchardet")
# c-ares: name resolution on the loop, no thread per lookup (src/http/dns*.c).
cafe_require(CARES libc-ares-dev libcares)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CARES)
set(CAFE_PC_REQUIRES "libcurl uchardet libcares" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl uchardet libcares")
