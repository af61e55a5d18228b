# Run after Doxygen (cmake -DDIR=<man3 dir> -P doc-prune-man.cmake) on its section-3 pages.
#
# Keeps only the pages named as cafe's API is (cafe_*, CAFE_*, and the headers' pages such
# as cafe.h.3, which the function pages source). Doxygen also writes a link page for every
# struct field (error.3, status.3, url.3...), pages for anonymous enums (@0.3), for
# directories (named after the build's path) and for the main page (reference.md.3):
# installed, `man 3 error` would open cafe_http_result instead of glibc's error(3).
#
# A struct whose typedef is declared apart from it (typedef struct cafe_future
# cafe_future_t;) gets its page under the struct's tag (cafe_future.3) though the page is
# titled with the typedef's name: a link page under that name makes `man 3 cafe_future_t`
# find it.
file(GLOB pages RELATIVE "${DIR}" "${DIR}/*.3")
foreach(page ${pages})
  if(NOT page MATCHES "^(cafe|CAFE)" AND NOT page MATCHES "^[a-z]+\\.h\\.3$")
    file(REMOVE "${DIR}/${page}")
    continue()
  endif()
  file(STRINGS "${DIR}/${page}" th LIMIT_COUNT 1 REGEX "^\\.TH \"")
  if(th MATCHES "^\\.TH \"(cafe_[a-z0-9_]+)\"" AND NOT "${CMAKE_MATCH_1}.3" STREQUAL page
     AND NOT EXISTS "${DIR}/${CMAKE_MATCH_1}.3")
    file(WRITE "${DIR}/${CMAKE_MATCH_1}.3" ".so man3/${page}\n")
  endif()
endforeach()
