/* `cafe titles --db`: what the database's runs table keeps of the command line. */
#ifndef CAFE_CLI_DBOPTS_H
#define CAFE_CLI_DBOPTS_H

/* The command line as a JSON array, with the password of any URL (user:secret@, with or
 * without a scheme, and a libpq ?password=) and the value of every -H/--header (also in a
 * cluster: -kH) masked: what the runs table keeps. malloc'd; NULL when out of memory. */
char *cli_db_options(int argc, char **argv);

/* One value with its URL's password masked as the runs table masks it (user:***@, a libpq
 * ?password=***), for a message that shows a value that may hold one (a proxy variable).
 * malloc'd; NULL when out of memory. */
char *cli_url_masked(const char *v);

#endif
