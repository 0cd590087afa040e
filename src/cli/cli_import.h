/* cli_import - `parley import slack EXPORT.zip`: a Slack workspace export into the store a
 * server uses (docs/migrate.md).
 *
 * The whole archive is read and checked first (slack_read.h): a bad file writes nothing.
 * Then, through the store contract (store.h, so SQLite and PostgreSQL alike) and auth:
 * - each Slack user is the account of the same name (its canonical form) when one exists,
 *   else a new account without a password (auth_user_add with password NULL: admin for a
 *   Slack admin or owner, else member; deactivated for a deleted Slack user); each new
 *   active one gets a reset link, printed;
 * - each conversation is written in one store group (one transaction): the channel row when
 *   it is new (channels.json public, groups.json private, dms.json and mpims.json of at
 *   most CHAT_DM_MAX people a direct message named dm- and a hash of its Slack id, a larger
 *   group DM a private channel of its name; Slack's general is parley's general), its
 *   members, then its messages oldest first with their original times, thread replies,
 *   edits (an edit event at the edit's time) and reactions, then each member's read marker
 *   at its end (history arrives read);
 * - idempotence: every event carries a client key made of its Slack ts ("s<ts>" for a
 *   message, "e" and "r" for its edit and reactions), and the channel's stored keys are read
 *   first, so a second import of the same archive adds nothing and a later export of the
 *   same workspace adds only what is new.
 * A running server keeps channels, members and seqs in memory: the import refuses a SQLite
 * database another process has open (its WAL lock), and asks for the server to be stopped
 * on PostgreSQL. Output: what was done on stdout, and per new account its link; an error is
 * one line "parley: import: ..." on stderr and exit status 1. */
#ifndef PARLEY_CLI_IMPORT_H
#define PARLEY_CLI_IMPORT_H

#include <stdio.h>

#include "auth/auth.h"

typedef struct {
    const char *zip;       /* borrowed: the archive's path */
    const char *store_url; /* borrowed: store_open's URL */
    auth_config_t auth;    /* name limit, as the server's */
} cli_import_t;

void cli_import_usage(FILE *f);
/* Runs the import (auth_init done). Returns the exit status: 0 done, 1 failed. */
int cli_import_run(const cli_import_t *c);

/* True when another process has the SQLite database at path open (it holds SQLite's
 * shared-memory lock, as every connection in WAL mode does). */
int cli_sqlite_in_use(const char *path);

#endif
