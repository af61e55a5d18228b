/* `cafe titles --db`: what the database's runs table keeps of the command line. */
#ifndef CAFE_CLI_DBOPTS_H
#define CAFE_CLI_DBOPTS_H

/* The command line as a JSON array, with the password of any URL (user:secret@, with or
 * without a scheme, and a libpq ?password=) and the value of every -H/--header (also in a
 * cluster: -kH) masked: what the runs table keeps. malloc'd; NULL when out of memory. */
char *cli_db_options(int argc, char **argv);

#endif
