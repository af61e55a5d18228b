/* Code layout of the per-page path. The functions every page runs through (the fixture's
 * pages: a doctype, a few tags, a meta, a title) are marked CAFE__HOT: the compiler puts
 * them together (.text.hot), so a page touches few instruction cache lines, and the code of
 * rare states is not interleaved with theirs. CAFE__COLD (never inlined, optimized for size,
 * its callers' paths to it predicted untaken) is for the rare paths out of hot functions;
 * CAFE__APART (never inlined) for states common on other pages than the fixture's (comments,
 * scripts), kept out of their hot callers' bodies without being optimized for size. */
#ifndef CAFE_HTML_HOT_H
#define CAFE_HTML_HOT_H

#if defined(__GNUC__)
#define CAFE__HOT __attribute__((hot))
#define CAFE__APART __attribute__((noinline))
#define CAFE__COLD __attribute__((cold, noinline))
#else
#define CAFE__HOT
#define CAFE__APART
#define CAFE__COLD
#endif

#endif
