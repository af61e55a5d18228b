/* `cafe serve`: the title service (HTTP API and web page) on cafe's loop. */
#ifndef CAFE_SERVE_H
#define CAFE_SERVE_H

#include "optab.h"

/* Runs `cafe serve` (argv[0] is "serve"). Returns the process exit status. */
int serve_main(int argc, char **argv);

/* Its option table (opts.c): the parser, --help and the man page's SERVE option list. */
extern const cli_optab_t srv_optab;

#endif
