/* The look-ahead of fetch tasks kept ahead of the transfer slots, for one loop and its HTTP
 * client: the main loop's reader, or a --threads worker's feeder. */
#ifndef CAFE_CLI_AHEAD_H
#define CAFE_CLI_AHEAD_H

#include "cafe.h"

#include <stddef.h>

/* Plain memory of one loop, owned by its run or worker; cli_ahead_init, then used by that
 * loop's tasks only (no destroy call: nothing waits on it once its tasks ended). */
typedef struct cli_ahead {
    size_t unrun; /* fetch tasks spawned that have not run yet (their owner counts them) */
    size_t limit; /* how many to keep ahead: max(16, concurrency / 4) */
    int filling, wanted;
    cafe_event_t room; /* set when half of the look-ahead is free and the filler waits */
} cli_ahead_t;

void cli_ahead_init(cli_ahead_t *a, size_t concurrency);
/* Whether the filler may spawn one more task: it fills up to the limit, then waits until half
 * of it is free. */
int cli_ahead_room(cli_ahead_t *a);
/* Waits (in the filler's task) until cli_ahead_check finds half of the look-ahead free. */
int cli_ahead_wait(cli_ahead_t *a);
/* Wakes the waiting filler once half of the look-ahead is free: call it whenever a task ran,
 * a request started or a fetch ended. */
void cli_ahead_check(cli_ahead_t *a);

#endif
