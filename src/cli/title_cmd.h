/* `cafe title`: titles of local HTML files. */
#ifndef CAFE_CLI_TITLE_CMD_H
#define CAFE_CLI_TITLE_CMD_H

/* Returns the exit code: 0, or 2 when a file could not be read (the others are done). */
int cli_title_main(int argc, char **argv);

#endif
