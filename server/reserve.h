/* A reserve of disk space in the data dir: a file of SRV_RESERVE_BYTES of real blocks, given up
 * when SQLite finds the disk full while the job runner records how a scan ended or deletes one
 * (which frees more), and taken again once there is room.
 * THREADS: the job runner's (the loop thread) only. */
#ifndef IMGEDA_SERVER_RESERVE_H
#define IMGEDA_SERVER_RESERVE_H

#include <stdbool.h>
#include <stddef.h>

/* Room for a few status writes and the deletion of a small scan in SQLite's write-ahead log. */
#define SRV_RESERVE_BYTES (256u << 10)

struct srv_reserve;

/* The reserve <dir>/reserve of `bytes`, not taken yet (srv_reserve_take). Free with
 * srv_reserve_free, which leaves the file for the next start. */
struct srv_reserve *srv_reserve_new(const char *dir, size_t bytes);
void srv_reserve_free(struct srv_reserve *r);
/* Takes the reserve unless it is held: allocates its blocks, or removes what it got when the
 * disk has no room for all of them. Returns whether it is held. */
bool srv_reserve_take(struct srv_reserve *r);
/* Gives the reserve up (removes the file). Returns true if it was held, i.e. room was made. */
bool srv_reserve_release(struct srv_reserve *r);

#endif
