/* chat_elsewhere - who is online on the other processes (several on one store, --bus), as
 * their presence events and snapshots told it (chat_relay carries both). No I/O.
 *
 * Each process numbers its presence changes (a user's first connection there, or last one
 * gone) 1, 2, 3...; an event carries its number, and a snapshot (the process's whole list,
 * refreshed with a TTL) carries the number of the last change it reflects. So each word
 * about (process, name) has a number, and the newest wins whatever order the events and
 * snapshots arrive in: a snapshot older than an event received does not undo it, and a
 * lost event is repaired by the next snapshot. A user "off" on a process is kept as a
 * tombstone until a snapshot at least as new confirms it.
 *
 * A process that stops refreshing its snapshot (killed) is dropped by a sweep: the caller
 * begins one when it asks for every snapshot, gives those found, and ends it; a process
 * heard of neither by a snapshot nor by an event since the begin is gone, with its users.
 *
 * The table tells its owner of each name coming online elsewhere (its first process) and
 * going (its last), and keeps how many of those names are not also online here (the owner
 * tells it of its own changes), so that here + elsewhere is counted without a walk. */
#ifndef PARLEY_CHAT_ELSEWHERE_H
#define PARLEY_CHAT_ELSEWHERE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct chat_elsewhere chat_elsewhere_t;

typedef struct {
    /* name came online on some other process (on), or went from the last one; fires from
     * inside chat_elsewhere_event, _snapshot and _sweep_end. May be NULL. */
    void (*changed)(void *ctx, const char *name, bool on);
    /* Whether name is online here (for the count of names online elsewhere only). */
    bool (*here)(void *ctx, const char *name);
} chat_elsewhere_cbs_t;

/* cbs is copied; ctx is given back to it. Never NULL. */
chat_elsewhere_t *chat_elsewhere_new(const chat_elsewhere_cbs_t *cbs, void *ctx);
void chat_elsewhere_free(chat_elsewhere_t *e);

/* Process pid's change number seq: name came online there (on) or left it. A word older
 * than what is known of (pid, name) is ignored. */
void chat_elsewhere_event(chat_elsewhere_t *e, uint64_t pid, uint64_t seq, const char *name,
                          bool on);
/* Process pid's whole list as of its change number seq (names borrowed, during the call). */
void chat_elsewhere_snapshot(chat_elsewhere_t *e, uint64_t pid, uint64_t seq,
                             const char *const *names, size_t n);
/* A sweep: begin, then the snapshots found, then end: processes not heard of since the begin
 * are dropped. A begin with no end is harmless (the next begin starts over). */
void chat_elsewhere_sweep_begin(chat_elsewhere_t *e);
void chat_elsewhere_sweep_end(chat_elsewhere_t *e);
/* Process pid said it stops: dropped at once. */
void chat_elsewhere_drop(chat_elsewhere_t *e, uint64_t pid);
/* The owner's own change: name came online here (or left). */
void chat_elsewhere_here(chat_elsewhere_t *e, const char *name, bool here);

/* Whether name is online on some other process. */
bool chat_elsewhere_has(const chat_elsewhere_t *e, const char *name);
/* Names online elsewhere; those of them not online here; processes known. */
size_t chat_elsewhere_count(const chat_elsewhere_t *e);
size_t chat_elsewhere_only(const chat_elsewhere_t *e);
size_t chat_elsewhere_procs(const chat_elsewhere_t *e);
/* Every name online elsewhere, in no order: it = chat_elsewhere_names(e), then _next until
 * NULL. The table must not change meanwhile. */
typedef struct {
    const chat_elsewhere_t *e;
    size_t bucket;
    const void *at;
} chat_elsewhere_names_t;
chat_elsewhere_names_t chat_elsewhere_names(const chat_elsewhere_t *e);
const char *chat_elsewhere_names_next(chat_elsewhere_names_t *it);

#endif
