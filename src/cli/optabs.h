/* The option table of every subcommand, defined next to the subcommand's code: the options
 * test (tests/cli/test_cli_options.c) checks each against --help and docs/cafe.1. */
#ifndef CAFE_CLI_OPTABS_H
#define CAFE_CLI_OPTABS_H

#include "optab.h"

extern const cli_optab_t cli_titles_optab; /* opts.c */
extern const cli_optab_t cli_title_optab;  /* title_cmd.c */
extern const cli_optab_t cli_queue_optab;  /* queue_cmd.c */
extern const cli_optab_t cli_demo_optab;   /* demo.c */

#endif
