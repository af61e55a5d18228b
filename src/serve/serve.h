/* `cafe serve`: the title service (HTTP API and web page) on cafe's loop. */
#ifndef CAFE_SERVE_H
#define CAFE_SERVE_H

/* Runs `cafe serve` (argv[0] is "serve"). Returns the process exit status. */
int serve_main(int argc, char **argv);

#endif
