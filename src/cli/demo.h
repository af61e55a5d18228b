/* `cafe demo`: the guide's experiment, sync vs async, on local sites started in-process. */
#ifndef CAFE_CLI_DEMO_H
#define CAFE_CLI_DEMO_H

int cli_demo_main(int argc, char **argv);

#endif
