/* `cafe queue push | results | status` (queue_cmd.c). */
#ifndef CAFE_CLI_QUEUE_CMD_H
#define CAFE_CLI_QUEUE_CMD_H

/* `cafe queue SUBCOMMAND ...` (argv[0] is "queue"): the process exit code. */
int cli_queue_main(int argc, char **argv);

#endif
