/* store_mem_accounts - the accounts part of store_mem (private to tests/support/store_mem*.c):
 * users, sessions and invites in memory, with the rules store.h states for the account change
 * kinds, and the accounts version. store_mem.c runs it inside its writes (failed state,
 * order) and its synchronous reads. */
#ifndef PARLEY_STORE_MEM_ACCOUNTS_H
#define PARLEY_STORE_MEM_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct mem_accounts mem_accounts_t;

/* Empty, version 0. Never NULL. */
mem_accounts_t *mem_accounts_new(void);
void mem_accounts_free(mem_accounts_t *a);
/* A deep copy of a (what a failed group of store_mem puts back). Never NULL. */
mem_accounts_t *mem_accounts_clone(const mem_accounts_t *a);

/* Applies one account change (c->kind from STORE_USER_CREATE on, c valid by
 * store_change_valid), copying its strings. Returns 0; STORE_ECONFLICT where store.h says,
 * nothing changed; or STORE_EFAILED when a PUT's hash is another row's (the write a real
 * backend would fail; nothing changed). With bump, every answer but those two also bumps the
 * version. */
int mem_accounts_apply(mem_accounts_t *a, const store_change_t *c, bool bump);

/* Every user, then session, then invite, each by id (NULL callbacks: not wanted). */
void mem_accounts_load(mem_accounts_t *a, const store_accounts_load_t *cbs, void *ctx);

uint64_t mem_accounts_version(const mem_accounts_t *a);

#endif
