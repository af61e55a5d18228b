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

/* The progress line a command may be drawing on standard error, for the messages of code
 * that knows nothing of it (a database's or Redis's "reconnecting" mid-run): the command
 * sets how to erase the line (fn NULL: no line), and msg_progress_clear(), called before
 * such a message, erases it, so that the message starts a line of its own and the next
 * redraw brings the progress back under it, as curl and wget clear their bar for a note.
 * Both on the thread that draws (the main loop's); another thread's call does nothing. */
void msg_progress_set(void (*fn)(void *arg), void *arg);
void msg_progress_clear(void);

/* What a negative code means, for a message: a system error as strerror words it ("No such
 * file or directory", as coreutils and the other messages say it; cafe_strerror's is libuv's
 * lower case), and cafe's own codes (out of memory too) as cafe_strerror does. EMFILE names
 * the limit: "Too many open files (ulimit -n 64)". The text lives until the thread's next
 * call. */
const char *msg_strerror(int rc);

/* A file name (or another name the user gave) for a message, quoted as coreutils quotes one
 * (ls --quoting-style=shell-escape): as it is when it holds only letters, digits, "%+,-./:=@_"
 * and printable non-ASCII characters; else in '...', a ' as '\'', and control characters,
 * invalid bytes and characters that reorder a line as $'\n', $'\033', $'\377'... outside the
 * quotes. So a name with a newline or an escape sequence can neither break the message's
 * line nor drive the terminal, and pasted into a shell it is the same name again.
 * The result lives until the 4th call after this one (a message may name several);
 * messages are printed on the main thread: not for others. Never NULL (out of memory gives
 * a placeholder). */
const char *msg_quote(const char *name);
/* The same quoted form, malloc'd (the caller frees it; NULL when out of memory): for a
 * message made on another thread (a thread-pool job's why), where msg_quote's slots are not
 * to be touched. Any thread. */
char *msg_quote_dup(const char *name);
/* A file name as messages give it: "-" is "standard input", any other msg_quote'd. */
const char *msg_file(const char *path);

/* Whether messages are ASCII only: in an 8-bit locale (term_locale_8bit: ISO-8859-1,
 * KOI8-R...), whose terminal shows UTF-8 as mojibake and reads its bytes 0x80 to 0x9F as C1
 * controls. Then msg_quote escapes every non-ASCII byte of a name, and a server's text in a
 * message is \uNNNN (text_safe_copy). Decided once, on the first call; any thread. */
int msg_ascii(void);
/* From now on msg_ascii is 0 whatever the locale: for a program whose messages go elsewhere
 * than a terminal too (cafe serve's API: JSON, UTF-8), and which escapes its terminal's copy
 * where it writes it (srv_log_escape). Before any thread makes a message. */
void msg_ascii_unset(void);

/* The status of a command whose output's reader is gone (a closed pipe: `cafe titles list |
 * head -1`, an -o FIFO whose reader quit): cafe's main then ends by SIGPIPE, without a word,
 * as yes, seq, cat and grep end there (a shell shows 141; bash's pipefail and a parent's
 * waitpid see the reader's doing, not an error of cafe's: a usage error, a full disk). */
#define MSG_READER_GONE (128 + 13) /* 128 + SIGPIPE, which is 13 on every Unix */

/* The status of a command whose output failed with errno err: MSG_READER_GONE for EPIPE,
 * else 2. */
int msg_output_status(int err);

/* What was printed on standard output did not all reach it (err: the failed write's errno,
 * 0 when it is not known): said on stderr, as coreutils' close_stdout says it, and 2, unless
 * its reader is gone (EPIPE, or a closed pipe seen): a quiet MSG_READER_GONE. Returns the
 * status. */
int msg_stdout_failed(int err);

#endif
