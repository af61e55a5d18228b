# The reference manual: Doxygen (Debian package doxygen, in scripts/packages.txt) turns the
# public headers into HTML and section-3 man pages at build time; `make install` installs
# both. Without doxygen the build says so and goes on without the manual.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(CAFE_DOC_DIR ${PROJECT_BINARY_DIR}/doc)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in ${CAFE_DOC_DIR}/Doxyfile @ONLY)
  file(GLOB CAFE_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/*.h
       ${PROJECT_SOURCE_DIR}/include/cafe/*.h)
  add_custom_command(
    OUTPUT ${CAFE_DOC_DIR}/html/index.html
    COMMAND ${CMAKE_COMMAND} -E remove_directory ${CAFE_DOC_DIR}/man
    COMMAND ${CMAKE_COMMAND} -E remove_directory ${CAFE_DOC_DIR}/xml
    COMMAND ${DOXYGEN_EXECUTABLE} ${CAFE_DOC_DIR}/Doxyfile
    COMMAND ${CMAKE_COMMAND} -DDIR=${CAFE_DOC_DIR}/man/man3 -P
            ${PROJECT_SOURCE_DIR}/cmake/doc-prune-man.cmake
    DEPENDS ${CAFE_PUBLIC_HEADERS} ${CAFE_DOC_DIR}/Doxyfile ${PROJECT_SOURCE_DIR}/docs/reference.md
            ${PROJECT_SOURCE_DIR}/cmake/doxygen-filter.sed
            ${PROJECT_SOURCE_DIR}/cmake/doc-prune-man.cmake
    COMMENT "Reference manual (doxygen): ${CAFE_DOC_DIR}/html/index.html and man pages")
  add_custom_target(cafe_doc ALL DEPENDS ${CAFE_DOC_DIR}/html/index.html)
  install(DIRECTORY ${CAFE_DOC_DIR}/man/man3 DESTINATION ${CMAKE_INSTALL_MANDIR})
  install(DIRECTORY ${CAFE_DOC_DIR}/html/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/html)
else()
  message(STATUS "doxygen not found: no reference manual (Debian package doxygen)")
endif()
