/* `cafe titles`: the guide's program for real URL lists. */
#ifndef CAFE_CLI_TITLES_H
#define CAFE_CLI_TITLES_H

/* Runs the subcommand; returns the process exit code (0, 1, 2 or 130). */
int cli_titles_main(int argc, char **argv);

#endif
