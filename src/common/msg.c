/* The tool's messages (msg.h). */
#include "msg.h"

/* Set once, by main before any task or thread starts; read-only after that. */
static const char *prog = "cafe";

void msg_prog_set(const char *p) {
    prog = p;
}

const char *msg_prog(void) {
    return prog;
}
