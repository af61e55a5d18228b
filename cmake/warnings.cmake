# Warnings and sanitizers shared by every target of the project.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter)
if(CAFE_WERROR)
  add_compile_options(-Werror)
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
