/* store_db - the rows and callbacks of the SQL backends' answers, and their writers' failure
 * log; see store_db.h. Nothing here knows a database: each column comes through the getters
 * of the backend that read it. */
#include "store/store_db.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *const store_db_sql_load[STORE_DB_LOAD_PARTS] = {
    [STORE_DB_MEMBERS] = "SELECT channel, user_id FROM members ORDER BY channel, user_id",
    [STORE_DB_READS] = "SELECT channel, user_id, seq FROM reads ORDER BY channel, user_id",
    [STORE_DB_REACTIONS] = "SELECT channel, target, user_id, text, kind FROM messages "
                           "WHERE kind IN ('react', 'unreact') ORDER BY channel, seq",
    [STORE_DB_MENTIONED] = "SELECT channel, user_id, max(seq) FROM mentions "
                           "GROUP BY channel, user_id ORDER BY channel, user_id",
    /* Few rows, read once at start-up: a scan rather than an index every append keeps. */
    [STORE_DB_LINES] = "SELECT channel, seq FROM messages WHERE kind IN ('joined', 'left', "
                       "'topic') ORDER BY channel, seq",
    [STORE_DB_NOTIFY] = "SELECT channel, user_id, level FROM notify ORDER BY channel, user_id",
    /* Pins of msgs still there (a delete drops its target from the pinned set). */
    [STORE_DB_PINS] = "SELECT p.channel, p.seq, p.target, p.user_id, p.ts, p.kind FROM messages p "
                      "JOIN messages t ON t.channel = p.channel AND t.seq = p.target "
                      "WHERE p.kind IN ('pin', 'unpin') AND t.kind = 'msg' AND NOT t.deleted "
                      "ORDER BY p.channel, p.seq",
    /* The newest keyed events (each backend has an index for it), then oldest first. */
    [STORE_DB_KEYED] =
        "SELECT channel, seq, user_id, cid, ts FROM (SELECT channel, seq, user_id, "
        "cid, ts FROM messages WHERE cid IS NOT NULL ORDER BY ts DESC, "
        "channel DESC, seq DESC LIMIT " STR(STORE_KEYED_MAX) ") k "
                                                             "ORDER BY ts, channel, seq",
};

const char *const store_db_sql_accounts[STORE_DB_ACCOUNT_PARTS] = {
    "SELECT id, name, canon, display, role, pass, state, created, seen, title, tz, avatar, "
    "CASE WHEN bot THEN 1 ELSE 0 END FROM users ORDER BY id",
    "SELECT id, hash, user_id, created, seen, expires, agent, addr FROM sessions ORDER BY id",
    "SELECT id, hash, kind, creator, user_id, role, created, expires, uses, max_uses, "
    "CASE WHEN revoked THEN 1 ELSE 0 END FROM invites ORDER BY id",
    "SELECT id, hash, channel, name, creator, created, CASE WHEN revoked THEN 1 ELSE 0 END "
    "FROM hooks ORDER BY id",
};

const store_db_shape_t store_db_msg_shape = {0, 1, 2, 3, 4, 5, 6, 7, -1, 8, 9, 10, 11, 12, 13};
const store_db_shape_t store_db_search_shape = {0, 1, 2, 3, -1, 8, -1, 5, 4, 6, 7, -1, 9, -1, -1};
const store_db_shape_t store_db_counts_shape = {1, -1, -1, -1, -1, -1, -1, -1,
                                                0, -1, -1, -1, -1, -1, -1};

static int64_t col_num(const store_db_row_t *r, int col)
{
    return col < 0 ? 0 : r->num(r->row, col);
}

static uint64_t col_id(const store_db_row_t *r, int col)
{
    return (uint64_t)col_num(r, col);
}

/* The column's text; `none` for a missing column or SQL NULL. */
static const char *col_text(const store_db_row_t *r, int col, const char *none)
{
    const char *t = col < 0 ? NULL : r->text(r->row, col);
    return t ? t : none;
}

void store_db_msg(const store_db_row_t *r, const store_db_shape_t *sh, store_rows_t *out)
{
    store_msg_t m = {.channel = col_text(r, sh->channel, NULL),
                     .seq = col_id(r, sh->seq),
                     .user = col_text(r, sh->user, ""),
                     .user_id = col_id(r, sh->user_id),
                     .text = col_text(r, sh->text, ""),
                     .ts = col_num(r, sh->ts),
                     .kind = col_text(r, sh->kind, NULL),
                     .thread = col_id(r, sh->thread),
                     .target = col_id(r, sh->target),
                     .cid = col_text(r, sh->cid, ""),
                     .guest = col_num(r, sh->guest) != 0,
                     .deleted = col_num(r, sh->deleted) != 0,
                     .edited = col_num(r, sh->edited) != 0,
                     .files = col_text(r, sh->files, ""),
                     .app = col_text(r, sh->app, "")};
    store_rows_add(out, &m);
}

void store_db_replies(const store_db_row_t *r, store_rows_t *out)
{
    store_msg_t *rows = out->rows;
    uint64_t parent = col_id(r, 0);
    if (out->n == 0)
        return;
    /* Seqs are gapless, so the parent's row is found by offset; checked all the same. */
    size_t i = (size_t)(parent - rows[0].seq);
    if (i >= out->n || rows[i].seq != parent)
        return;
    rows[i].replies = (uint32_t)col_num(r, 1);
    rows[i].last_reply = col_id(r, 2);
    rows[i].last_reply_ts = col_num(r, 3);
}

void store_db_page(store_rows_t *out, unsigned limit, bool newest_first)
{
    out->more = out->n > limit;
    if (out->more)
        store_rows_truncate(out, limit);
    store_msg_t *rows = out->rows;
    for (size_t i = 0, j = out->n; newest_first && i + 1 < j; i++, j--) {
        store_msg_t t = rows[i];
        rows[i] = rows[j - 1];
        rows[j - 1] = t;
    }
}

bool store_db_load_wanted(int part, const store_load_t *cbs, store_keyed_cb keyed)
{
    switch (part) {
    case STORE_DB_CHANNELS:
        return cbs->channel;
    case STORE_DB_MEMBERS:
        return cbs->member;
    case STORE_DB_READS:
        return cbs->read;
    case STORE_DB_REACTIONS:
        return cbs->reaction;
    case STORE_DB_MENTIONED:
        return cbs->mentioned;
    case STORE_DB_LINES:
        return cbs->line;
    case STORE_DB_NOTIFY:
        return cbs->notify;
    case STORE_DB_PINS:
        return cbs->pin;
    default:
        return keyed;
    }
}

void store_db_load_row(const store_db_row_t *r, int part, const store_load_t *cbs,
                       store_keyed_cb keyed, void *ctx)
{
    if (part == STORE_DB_CHANNELS) {
        store_channel_t c = {.name = col_text(r, 0, ""),
                             .kind = col_text(r, 1, ""),
                             .topic = col_text(r, 2, ""),
                             .created_by = col_text(r, 3, ""),
                             .creator_id = col_id(r, 4),
                             .ts = col_num(r, 5),
                             .archived = col_num(r, 6) != 0};
        cbs->channel(ctx, &c);
    } else if (part == STORE_DB_MEMBERS) {
        cbs->member(ctx, col_text(r, 0, ""), col_id(r, 1));
    } else if (part == STORE_DB_READS) {
        cbs->read(ctx, col_text(r, 0, ""), col_id(r, 1), col_id(r, 2));
    } else if (part == STORE_DB_REACTIONS) {
        cbs->reaction(ctx, col_text(r, 0, ""), col_id(r, 1), col_id(r, 2), col_text(r, 3, ""),
                      strcmp(col_text(r, 4, ""), "react") == 0);
    } else if (part == STORE_DB_MENTIONED) {
        cbs->mentioned(ctx, col_text(r, 0, ""), col_id(r, 1), col_id(r, 2));
    } else if (part == STORE_DB_LINES) {
        cbs->line(ctx, col_text(r, 0, ""), col_id(r, 1));
    } else if (part == STORE_DB_NOTIFY) {
        cbs->notify(ctx, col_text(r, 0, ""), col_id(r, 1), col_text(r, 2, ""));
    } else if (part == STORE_DB_PINS) {
        cbs->pin(ctx, col_text(r, 0, ""), col_id(r, 1), col_id(r, 2), col_id(r, 3), col_num(r, 4),
                 strcmp(col_text(r, 5, ""), "pin") == 0);
    } else {
        keyed(ctx, col_text(r, 0, ""), col_id(r, 1), col_id(r, 2), col_text(r, 3, ""),
              col_num(r, 4));
    }
}

bool store_db_accounts_wanted(int part, const store_accounts_load_t *cbs)
{
    return part == STORE_DB_USERS      ? cbs->user != NULL
           : part == STORE_DB_SESSIONS ? cbs->session != NULL
           : part == STORE_DB_INVITES  ? cbs->invite != NULL
                                       : cbs->hook != NULL;
}

static void user_row(const store_db_row_t *r, const store_accounts_load_t *cbs, void *ctx)
{
    store_user_t u = {.id = col_id(r, 0),
                      .name = col_text(r, 1, ""),
                      .canon = col_text(r, 2, NULL),
                      .display = col_text(r, 3, ""),
                      .role = col_text(r, 4, ""),
                      .pass = col_text(r, 5, NULL),
                      .state = col_text(r, 6, ""),
                      .created = col_num(r, 7),
                      .seen = col_num(r, 8),
                      .title = col_text(r, 9, ""),
                      .tz = col_text(r, 10, ""),
                      .avatar = col_text(r, 11, ""),
                      .bot = col_num(r, 12) != 0};
    cbs->user(ctx, &u);
}

static void session_row(const store_db_row_t *r, const store_accounts_load_t *cbs, void *ctx)
{
    store_session_t se = {.id = col_id(r, 0),
                          .hash = col_text(r, 1, ""),
                          .user_id = col_id(r, 2),
                          .created = col_num(r, 3),
                          .seen = col_num(r, 4),
                          .expires = col_num(r, 5),
                          .agent = col_text(r, 6, ""),
                          .addr = col_text(r, 7, "")};
    cbs->session(ctx, &se);
}

static void invite_row(const store_db_row_t *r, const store_accounts_load_t *cbs, void *ctx)
{
    store_invite_t in = {.id = col_id(r, 0),
                         .hash = col_text(r, 1, ""),
                         .kind = col_text(r, 2, ""),
                         .creator = col_id(r, 3),
                         .user_id = col_id(r, 4),
                         .role = col_text(r, 5, ""),
                         .created = col_num(r, 6),
                         .expires = col_num(r, 7),
                         .uses = (uint32_t)col_num(r, 8),
                         .max_uses = (uint32_t)col_num(r, 9),
                         .revoked = col_num(r, 10) != 0};
    cbs->invite(ctx, &in);
}

static void hook_row(const store_db_row_t *r, const store_accounts_load_t *cbs, void *ctx)
{
    store_hook_t h = {.id = col_id(r, 0),
                      .hash = col_text(r, 1, ""),
                      .channel = col_text(r, 2, ""),
                      .name = col_text(r, 3, ""),
                      .creator = col_id(r, 4),
                      .created = col_num(r, 5),
                      .revoked = col_num(r, 6) != 0};
    cbs->hook(ctx, &h);
}

void store_db_account_row(const store_db_row_t *r, int part, const store_accounts_load_t *cbs,
                          void *ctx)
{
    if (part == STORE_DB_USERS)
        user_row(r, cbs, ctx);
    else if (part == STORE_DB_SESSIONS)
        session_row(r, cbs, ctx);
    else if (part == STORE_DB_INVITES)
        invite_row(r, cbs, ctx);
    else
        hook_row(r, cbs, ctx);
}

#define ERR_REPEAT_MS 60000

int store_db_err_level(store_db_errlog_t *e, int64_t code)
{
    uint64_t now = clock_mono_ms();
    if (code == e->code && e->ms && now - e->ms < ERR_REPEAT_MS)
        return LOG_DEBUG;
    e->code = code;
    e->ms = now;
    return LOG_ERROR;
}
