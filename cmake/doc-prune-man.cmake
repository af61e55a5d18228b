# Run after Doxygen (cmake -DDIR=<man3 dir> -P doc-prune-man.cmake): keeps only the section-3
# pages named as cafe's API is (cafe_*, CAFE_*, and the headers' pages such as cafe.h.3, which
# the function pages source). Doxygen also writes a link page for every struct field
# (error.3, status.3, url.3...), pages for anonymous enums (@0.3), for directories (named
# after the build's path) and for the main page (reference.md.3): installed, `man 3 error`
# would open cafe_http_result instead of glibc's error(3).
file(GLOB pages RELATIVE "${DIR}" "${DIR}/*.3")
foreach(page ${pages})
  if(NOT page MATCHES "^(cafe|CAFE)" AND NOT page MATCHES "^[a-z]+\\.h\\.3$")
    file(REMOVE "${DIR}/${page}")
  endif()
endforeach()
