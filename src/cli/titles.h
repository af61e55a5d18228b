/* `cafe titles`: the guide's program for real URL lists. */
#ifndef CAFE_CLI_TITLES_H
#define CAFE_CLI_TITLES_H

/* Runs the subcommand; returns the process exit code (0, 1 or 2). Stopped by a signal, it
 * ends the process by that signal once the records are written (128 + N if it cannot). */
int cli_titles_main(int argc, char **argv);

/* The descriptor limit after raising the soft limit to the hard one (as far as the kernel
 * lets it): the descriptors a run may use. 0 when it cannot be read, as if unlimited. */
unsigned long long cli_fd_limit_raise(void);

#endif
