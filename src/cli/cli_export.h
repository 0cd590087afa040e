/* cli_export - `parley export OUT.zip`: the store's workspace as a Slack-format export, so
 * that a team can take its history elsewhere (docs/migrate.md).
 *
 * Written: users.json (every account and guest: id "U<id>", name, display, title, time
 * zone, role flags, deleted for banned or deactivated ones; no password, session or
 * token), channels.json (public channels) and groups.json (private ones) with members and
 * topic, dms.json (direct messages of two) and mpims.json (of more), and per conversation
 * FOLDER/YYYY-MM-DD.json (UTC days) with its messages oldest first: author, text in
 * Slack's markup (slack_text_export), ts, thread_ts / reply_count / replies, reactions
 * [{name, users, count}], edited {user, ts}, files [{id, name, mimetype, size, url_private,
 * permalink}] (links to the server: its /files/ path after --public-url when given; the
 * bytes stay on the server), and channel_join / channel_leave /
 * channel_topic lines. Deleted messages are left out. A message imported from Slack keeps
 * its original ts (its client key holds it), so an import of the export finds it again.
 *
 * It only reads the store, so a running server may keep running. The archive is written
 * to OUT.zip.tmp and renamed when whole. Exit status 0, or 1 after one line on stderr. */
#ifndef PARLEY_CLI_EXPORT_H
#define PARLEY_CLI_EXPORT_H

#include <stdio.h>

#include "auth/auth.h"

typedef struct {
    const char *zip;       /* borrowed: the archive to write */
    const char *store_url; /* borrowed */
    auth_config_t auth;
    const char *public_url; /* borrowed: "" or --public-url, put before files' /files/ paths */
} cli_export_t;

void cli_export_usage(FILE *f);
int cli_export_run(const cli_export_t *c);

#endif
