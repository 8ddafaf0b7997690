/* Per-thread scratch buffers that the per-image pipeline reuses from one image to the next. */
#include <stdlib.h>

#include "imgeda/util.h"
#include "internal.h"

struct slot {
    void *p;
    size_t cap;
};

static _Thread_local struct slot slots[IE_SCRATCH_COUNT];

void *ie__scratch(enum ie__scratch_slot which, size_t n)
{
    struct slot *s = &slots[which];
    if (n > s->cap) {
        /* free + malloc, not realloc: the old contents are never needed, so never copied. */
        free(s->p);
        s->p = ie_xmalloc(n);
        s->cap = n;
    }
    return s->p;
}

void ie__scratch_release(void)
{
    for (int i = 0; i < IE_SCRATCH_COUNT; i++) {
        free(slots[i].p);
        slots[i].p = NULL;
        slots[i].cap = 0;
    }
}

void ie__scratch_trim(size_t keep)
{
    for (int i = 0; i < IE_SCRATCH_COUNT; i++) {
        if (slots[i].cap > keep) {
            free(slots[i].p);
            slots[i].p = NULL;
            slots[i].cap = 0;
        }
    }
}
