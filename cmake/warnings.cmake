# Warnings and sanitizers shared by every target of the project.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter)
if(CAFE_WERROR)
  add_compile_options(-Werror)
endif()
# Frames larger than a task's guard page must touch it rather than jump over it into a
# neighbouring stack: probe each page of a large frame (see cafe.h, Tasks).
include(CheckCCompilerFlag)
check_c_compiler_flag(-fstack-clash-protection CAFE_HAVE_STACK_CLASH)
if(CAFE_HAVE_STACK_CLASH)
  add_compile_options(-fstack-clash-protection)
  set(CAFE_PC_CFLAGS "-fstack-clash-protection")
endif()
# Keep the D_FORTIFY / POSIX interfaces visible in strict C11 mode.
add_compile_definitions(_GNU_SOURCE)
if(CAFE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CAFE_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
