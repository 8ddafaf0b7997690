/* The daemon's heap under image work: fewer malloc arenas, free pages given back to the kernel,
 * and a gate that bounds how many thumbnails are decoded at once.
 * THREADS: srv_memory_init runs in main before any thread; the rest is thread-safe. */
#ifndef IMGEDA_SERVER_MEMORY_H
#define IMGEDA_SERVER_MEMORY_H

#include <stdbool.h>

/* The malloc arenas the daemon allows (glibc's default is 8 per core), unless the environment
 * sets MALLOC_ARENA_MAX. */
#define SRV_MEMORY_ARENAS 2

/* Caps malloc's arenas at SRV_MEMORY_ARENAS (glibc only; elsewhere a no-op). Call before any
 * thread starts: a thread keeps the arena it first allocated from. */
void srv_memory_init(void);

/* Gives the free pages of every malloc arena back to the kernel (glibc's malloc_trim; elsewhere
 * a no-op). Costs a walk of the heap: call it after heavy work, not per small request. */
void srv_memory_trim(void);

struct srv_memory_gate;

/* How long decodes must pause before the gate trims the heap. */
#define SRV_MEMORY_TRIM_IDLE_MS 1000

/* A gate letting at most slots (>= 1) callers in at once; a caller waits up to wait_ms for a
 * place. It starts one thread (the trimmer). Free with srv_memory_gate_free. */
struct srv_memory_gate *srv_memory_gate_new(int slots, int wait_ms);
/* Stops the trimmer and frees the gate, once nobody is inside or waiting. NULL is a no-op. */
void srv_memory_gate_free(struct srv_memory_gate *g);
/* Takes a place, waiting up to the gate's wait_ms: true when taken (leave with
 * srv_memory_gate_leave), false when every place stayed taken. A NULL gate always lets in. */
bool srv_memory_gate_enter(struct srv_memory_gate *g);
/* Gives the place back. Once no decode has begun for SRV_MEMORY_TRIM_IDLE_MS after one ended,
 * the gate's thread trims the heap (srv_memory_trim): the memory of a burst of decodes goes
 * back to the kernel a second after it. */
void srv_memory_gate_leave(struct srv_memory_gate *g);
/* Counters for /metrics and tests: places taken now, and callers turned away since start. */
void srv_memory_gate_stats(struct srv_memory_gate *g, int *inside, unsigned long long *refused);

#endif
