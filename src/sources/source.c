/* The source calls: the interface's optional parts filled in. */
#include "source.h"

int source_start(source_t *s) {
    return s->ops->start ? s->ops->start(s) : 0;
}

int source_next(source_t *s, const char **line, size_t *len, uint64_t *ref) {
    *ref = 0;
    return s->ops->next(s, line, len, ref);
}

void source_abort(source_t *s) {
    if (s && s->ops->abort)
        s->ops->abort(s);
}

long source_count(source_t *s) {
    return s->ops->count ? s->ops->count(s) : -1;
}

void source_finish(source_t *s) {
    if (s->ops->finish)
        s->ops->finish(s);
}

void source_close(source_t *s) {
    if (s)
        s->ops->close(s);
}
