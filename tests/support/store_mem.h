/* store_mem - the whole store.h contract in memory, for tests only (the product never links
 * it): channels, members, read markers, events, a search index, mentions, client keys,
 * accounts (users, sessions, invites, the accounts version), the failed state and probes,
 * with no file and no thread.
 *
 * Two modes:
 * - STORE_MEM_AUTO behaves like a real backend: every operation completes on a later loop
 *   turn (through a uv_async handle), in submission order (an order store.h allows for
 *   reads, without requiring it), and close frees the store in the handle's close callback
 *   (run the loop afterwards).
 * - STORE_MEM_MANUAL completes nothing by itself: the test decides when each operation
 *   completes with store_mem_step / store_mem_run, synchronously, on its own stack. It needs
 *   no loop (NULL is fine) and close frees the store before returning.
 *
 * Each write is its own transaction: a failed one fails alone, and the failed state then
 * refuses everything behind it exactly as store.h says. A group's writes (store_group_begin)
 * are one transaction, run when the first of them completes: if one fails, the state is put
 * back as it was before the group and each of them is answered STORE_EFAILED (each still in
 * its own turn). The ops of an open group are not pending until its end. store_cancel marks
 * the owner's reads, which then answer STORE_ECANCELED at their turn; there is no cost
 * budget (reads never answer STORE_EBUDGET). Search folds ASCII case only: a token is a run of
 * ASCII letters and digits or of bytes >= 0x80 (SQLite's tokenizer also splits at non-ASCII
 * punctuation and folds accents). */
#ifndef PARLEY_STORE_MEM_H
#define PARLEY_STORE_MEM_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "store/store.h"

typedef enum { STORE_MEM_AUTO, STORE_MEM_MANUAL } store_mem_mode_t;

/* A new, empty store. AUTO needs a loop; MANUAL takes NULL or ignores the loop. Never NULL. */
store_t *store_mem_open(uv_loop_t *loop, store_mem_mode_t mode);
/* Operations submitted and not completed yet. */
size_t store_mem_pending(store_t *s);
/* Completes the oldest pending operation now, calling its callback before returning.
 * Returns false when none was pending. */
bool store_mem_step(store_t *s);
/* Completes operations until none is pending (including those submitted by the callbacks
 * it runs); returns how many. */
size_t store_mem_run(store_t *s);
/* Completes the oldest pending write (append, change or probe), passing over the reads
 * before it: a real backend may answer writes before reads asked earlier (store.h). Returns
 * false when no write was pending. */
bool store_mem_step_write(store_t *s);
/* While on, each read is answered from the state when it was submitted (a snapshot), not
 * when it completes: with store_mem_step_write, a read lands after writes committed while it
 * "ran" and does not hold them, as store.h allows. Off when opened. */
void store_mem_snapshot_reads(store_t *s, bool on);
/* While on, every write attempted fails as a real failed commit would: it is answered
 * STORE_EFAILED and the store enters the failed state (store.h); probes fail too. Turning
 * it off does not recover: probe, then store_recover, as with a real backend. */
void store_mem_fail_writes(store_t *s, bool on);
/* As store_open_opts_t.bump_accounts: while on, every account write not answered
 * STORE_ECONFLICT also bumps store_accounts_version (off when opened). */
void store_mem_bump_accounts(store_t *s, bool on);

#endif
