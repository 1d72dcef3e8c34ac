/*
 * Progress reporting inside the library (modelseal/progress.h is the public
 * side).  A public operation that takes a callback opens a scope with
 * ms_prog_enter() on entry and closes it with ms_prog_leave() before it
 * returns; the loops below it report through the scope of their own thread.
 * The callback thus travels down the call chain without being threaded
 * through every internal signature, and a worker thread, which has no
 * scope, can never call it.  Without a scope (or with a NULL callback)
 * every function here does nothing.
 */
#ifndef MS_CORE_PROGRESS_H
#define MS_CORE_PROGRESS_H

#include <stdint.h>

#include "modelseal/progress.h"

typedef struct ms_prog {
    ms_progress_fn fn;
    void *user;
    ms_progress p;
    struct ms_prog *outer; /* the scope this one hides (nested operations) */
} ms_prog;

void ms_prog_enter(ms_prog *pg, ms_progress_fn fn, void *user);
void ms_prog_leave(ms_prog *pg);

/* Start a phase: everything done is 0; a total of 0 means not known. */
void ms_prog_begin(ms_progress_phase phase, uint64_t bytes_total, uint64_t items_total);
/* bytes and items more done in the current phase. */
void ms_prog_add(uint64_t bytes, uint64_t items);
/* Set the bytes done (a reader that knows its offset better than its sum). */
void ms_prog_set_bytes(uint64_t bytes_done);
/* The phase's last call. */
void ms_prog_finish(void);

#endif
