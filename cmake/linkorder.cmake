# cafe_providers_first(TARGET PREFIX...): start-up of an executable linked with many shared
# libraries (the `cafe` tool loads some 40 objects, most of them libcurl's).
#
# Why: the dynamic loader binds every symbol reference of every object by walking the global
# scope (the executable's DT_NEEDED, breadth first) from its start, probing each object's
# hash table until one defines the symbol. libc was twelfth in the tool's natural order and
# OpenSSL and GnuTLS (whose own references to their exported symbols walk the scope too) in
# the thirties, so binding alone took 15M instructions and 590k data cache misses of the
# tool's 27M-instruction start-up (cachegrind; binding in the lean libcurl client: 6M).
# What: the libraries most references bind to are named first in the executable's DT_NEEDED
# (`-l:` before the objects, --no-as-needed), so most lookups end within a few probes:
# `cafe --version` went from 23.5M to 16.5M instructions and 708k to 307k D1 misses (then
# with libstdc++, which uchardet brought, also first; uchardet is now loaded on demand).
# Which objects are loaded does not change, nor what any symbol binds to: LD_DEBUG=bindings
# with LD_BIND_NOW gives the same 16,036 bindings in both orders.
#
# A library is named only if the libraries of the PREFIXes (cafe_require's pkg-config
# modules) load it already, as `ldd` reports them at configure time: nothing new is loaded,
# and a system whose libcurl uses another TLS library or another soname gets its own list.
# Not for sanitizer builds (their runtime must stay first) nor when cross-compiling (no ldd).
set(CAFE_PROVIDER_PATTERNS "libc\\.so\\." "libcrypto\\.so\\." "libssl\\.so\\."
                           "libgnutls\\.so\\.")

function(cafe_providers_first target)
  if(CAFE_SANITIZE OR CAFE_TSAN OR CMAKE_CROSSCOMPILING OR NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
    return()
  endif()
  find_program(CAFE_LDD ldd)
  if(NOT CAFE_LDD)
    return()
  endif()
  set(loaded "")
  foreach(prefix IN LISTS ARGN)
    # pkg-config's results that outlive cafe_require's scope (cached): -L dir and -l names.
    foreach(name IN LISTS ${prefix}_LIBRARIES)
      set(lib "${${prefix}_LIBDIR}/lib${name}.so")
      if(NOT EXISTS "${lib}")
        continue()
      endif()
      execute_process(COMMAND ${CAFE_LDD} ${lib} OUTPUT_VARIABLE out RESULT_VARIABLE rc
                      ERROR_QUIET)
      if(rc EQUAL 0)
        string(APPEND loaded "${out}")
      endif()
    endforeach()
  endforeach()
  set(first "")
  foreach(pattern IN LISTS CAFE_PROVIDER_PATTERNS)
    # ldd's line for a library: "\tSONAME => /path/to/file (0x...)".
    if(loaded MATCHES "[\t ](${pattern}[^ \t\n]*) => ")
      list(APPEND first "-l:${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(first)
    target_link_options(${target} BEFORE PRIVATE "LINKER:--push-state,--no-as-needed" ${first}
                        "LINKER:--pop-state")
  endif()
endfunction()
