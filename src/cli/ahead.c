#include "ahead.h"

void cli_ahead_init(cli_ahead_t *a, size_t concurrency) {
    /* A quarter of -c, at least 16: enough that a freed slot finds a request waiting (the
     * 100 ms round keeps its time: bench/README.md), few enough that the parked tasks'
     * stacks stay out of the way of the transfers' memory. With -c tasks ahead instead, a
     * run at -c 100 spent ~10% more CPU per URL (issue 11). */
    *a = (cli_ahead_t){.limit = concurrency / 4 < 16 ? 16 : concurrency / 4, .filling = 1};
    cafe_event_init(&a->room);
}

/* Tasks that have not run yet, and requests waiting for a transfer slot with their host's turn
 * taken. Those a host's politeness (or its connection limit, or the resolver) holds back do
 * not count, so that a slowed host's URLs wait while the other hosts' go on, as far as the
 * output's window allows. */
static size_t ahead(const cli_ahead_t *a) {
    cafe_http_stats_t st;
    cafe_http_stats_get(NULL, &st);
    return a->unrun + st.slot_waiting;
}

void cli_ahead_check(cli_ahead_t *a) {
    if (a->wanted && ahead(a) <= a->limit / 2) {
        a->wanted = 0;
        cafe_event_set(&a->room);
    }
}

int cli_ahead_room(cli_ahead_t *a) {
    size_t n = ahead(a);
    if (n >= a->limit)
        a->filling = 0;
    else if (n <= a->limit / 2)
        a->filling = 1;
    return a->filling;
}

int cli_ahead_wait(cli_ahead_t *a) {
    a->wanted = 1;
    cafe_event_clear(&a->room);
    return cafe_event_wait(&a->room);
}
