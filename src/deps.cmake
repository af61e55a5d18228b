# Libraries the parts of libcafe need beyond libuv. Parts append here.
cafe_require(CURL libcurl4-openssl-dev libcurl>=7.85) # CURLOPT_PROTOCOLS_STR
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CURL)
# uchardet: encoding detection for pages that declare none (src/html/detect.c). Not linked:
# it is opened with dlopen when a page first needs it (src/html/uchardet_lib.h says why), so
# the build takes its header and the soname to load.
cafe_require(UCHARDET libuchardet-dev uchardet)
set(CAFE_UCHARDET_SONAME "")
execute_process(COMMAND ${CMAKE_OBJDUMP} -p "${UCHARDET_LIBDIR}/libuchardet.so"
                OUTPUT_VARIABLE uchardet_dynamic ERROR_QUIET)
if(uchardet_dynamic MATCHES "SONAME +([^ \n]+)")
  set(CAFE_UCHARDET_SONAME "${CMAKE_MATCH_1}")
else()
  message(FATAL_ERROR "cafe: no soname in ${UCHARDET_LIBDIR}/libuchardet.so (objdump -p)")
endif()
list(APPEND CAFE_EXTRA_LIBS ${CMAKE_DL_LIBS})
# c-ares: name resolution on the loop, no thread per lookup (src/http/dns*.c).
cafe_require(CARES libc-ares-dev libcares)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::CARES)
# OpenSSL: the system trust store read lazily, one per client, handed to libcurl's OpenSSL
# contexts (src/http/trust.c). libcurl4-openssl-dev already depends on it.
cafe_require(OPENSSL libssl-dev libssl>=1.1.1 libcrypto>=1.1.1)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::OPENSSL)
# expat: the XML parser of pages served as XML (src/html/xml.c), Firefox's own; 2.4 for its
# billion-laughs protection.
cafe_require(EXPAT libexpat1-dev expat>=2.4)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::EXPAT)
# libidn2: the ASCII form ("xn--") of international host names checked as browsers check it
# (src/common/url.c, compiled into the sources room too); libcurl converts Unicode host names
# with it already.
cafe_require(IDN2 libidn2-dev libidn2)
list(APPEND CAFE_EXTRA_LIBS PkgConfig::IDN2)
# cafe.pc's Requires.private: the pkg-config names of the libraries linked above (uchardet
# is opened with dlopen, so it is not among them).
set(CAFE_PC_REQUIRES "libcurl libcares libssl libcrypto expat libidn2" PARENT_SCOPE)
set(CAFE_PC_REQUIRES "libcurl libcares libssl libcrypto expat libidn2")
