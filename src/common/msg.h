/* The messages of the cafe tool on standard error. Each starts with the name of the
 * command that prints it, as git's and ip's do: "cafe titles: ...", "cafe queue: ...";
 * "cafe: ..." only before a command is known. Code that runs under several commands (a
 * database sink, the Redis client) takes the name from here rather than naming one. */
#ifndef CAFE_COMMON_MSG_H
#define CAFE_COMMON_MSG_H

/* The prefix of the running command's messages: "cafe titles", or "cafe" until
 * msg_prog_set. prog is not copied: a string literal, or one living as long. */
void msg_prog_set(const char *prog);
const char *msg_prog(void);

#endif
