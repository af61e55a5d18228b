/* Stack-switch annotations for AddressSanitizer. Without them ASan mistakes a switch for a
 * huge stack jump and reports false errors (and cannot track use-after-return on task
 * stacks). Valgrind is told about stacks in stack.c. */
#ifndef CAFE_RUNTIME_ASAN_H
#define CAFE_RUNTIME_ASAN_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define CAFE__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAFE__ASAN 1
#endif
#endif

#ifdef CAFE__ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define cafe__asan_start(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define cafe__asan_finish(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
/* Memory given back to the kernel: the redzones of frames that never returned (a task a
 * deadlock abandoned) stay poisoned in the shadow after munmap, and a later mapping at the
 * same address would be reported as overflowing them. */
#define cafe__asan_unpoison(p, n) __asan_unpoison_memory_region(p, n)
#else
#define cafe__asan_start(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define cafe__asan_finish(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define cafe__asan_unpoison(p, n) ((void)(p), (void)(n))
#endif

#endif
