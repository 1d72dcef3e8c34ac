#include <stddef.h>

#include "core/progress.h"

/* The innermost scope of this thread's running operation. */
static _Thread_local ms_prog *current;

const char *ms_progress_phase_name(ms_progress_phase phase)
{
    switch (phase) {
    case MS_PROGRESS_HASH_MODEL:
        return "hash-model";
    case MS_PROGRESS_COMPRESS:
        return "compress";
    case MS_PROGRESS_WRITE_BUNDLE:
        return "write-bundle";
    case MS_PROGRESS_READ_BUNDLE:
        return "read-bundle";
    case MS_PROGRESS_WRITE_FILES:
        return "write-files";
    }
    return "unknown";
}

void ms_prog_enter(ms_prog *pg, ms_progress_fn fn, void *user)
{
    *pg = (ms_prog){.fn = fn, .user = user, .outer = current};
    current = pg;
}

void ms_prog_leave(ms_prog *pg)
{
    if (current == pg)
        current = pg->outer;
}

static void call(ms_prog *pg)
{
    pg->fn(pg->user, &pg->p);
}

void ms_prog_begin(ms_progress_phase phase, uint64_t bytes_total, uint64_t items_total)
{
    ms_prog *pg = current;
    if (pg == NULL || pg->fn == NULL)
        return;
    pg->p = (ms_progress){.phase = phase, .bytes_total = bytes_total, .items_total = items_total};
    call(pg);
}

void ms_prog_add(uint64_t bytes, uint64_t items)
{
    ms_prog *pg = current;
    if (pg == NULL || pg->fn == NULL || pg->p.phase == 0)
        return;
    pg->p.bytes_done += bytes;
    pg->p.items_done += items;
    call(pg);
}

void ms_prog_set_bytes(uint64_t bytes_done)
{
    ms_prog *pg = current;
    if (pg == NULL || pg->fn == NULL || pg->p.phase == 0)
        return;
    pg->p.bytes_done = bytes_done;
}

void ms_prog_finish(void)
{
    ms_prog *pg = current;
    if (pg == NULL || pg->fn == NULL || pg->p.phase == 0)
        return;
    pg->p.finished = 1;
    call(pg);
    pg->p.phase = 0;
}
