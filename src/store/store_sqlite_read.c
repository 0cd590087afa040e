/* store_sqlite_read - the SQLite backend's reads, run by the store worker's reader threads,
 * each on its own read-only connection (in WAL mode a reader never waits for the writer, nor
 * the writer for it): history and resume ranges, threads, full-text search, unread mention
 * counts and every channel's position. Each copies its rows into the worker's store_rows_t,
 * which the loop thread reads later.
 *
 * Cost: each reader's connection has a progress handler, called every PROGRESS_STEPS VM
 * steps, that abandons the running read once its cancel flag is up (store_cancel) or once it
 * went past its budget (READ_BUDGET steps unless the opener said; the step returns
 * SQLITE_INTERRUPT, answered STORE_ECANCELED or STORE_EBUDGET).
 *
 * Search builds its own FTS5 expression from the caller's plain terms: every term becomes a
 * quoted FTS5 string on the text column, so no input is ever read as FTS5 syntax (quotes,
 * stars, colons, parentheses, NEAR, AND, OR are all just text, split into tokens by the
 * tokenizer like any punctuation). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "store/store_sqlite_int.h"

/* Steps st to its end, one row per result into out. Returns the SQLite code that ended the
 * loop (SQLITE_DONE when all went well). */
static int rows_read(sqlite3_stmt *st, store_rows_t *out, const store_db_shape_t *sh)
{
    int rc;
    store_db_row_t row = store_sqlite_row(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        store_db_msg(&row, sh, out);
    return rc;
}

/* ---- the budget ---- */

static int on_progress(void *arg)
{
    store_sqlite_reader_t *r = arg;
    if (r->cancel && atomic_load_explicit(r->cancel, memory_order_relaxed))
        return 1;
    if (++r->ticks * PROGRESS_STEPS > r->budget) {
        r->over = true;
        return 1;
    }
    return 0;
}

/* The reader of rd, ready for a read of that budget. */
static store_sqlite_reader_t *reader_start(store_sqlite_t *s, const store_read_t *rd,
                                           uint64_t budget)
{
    store_sqlite_reader_t *r = &s->rd[rd->reader];
    r->cancel = rd->cancel;
    r->ticks = 0;
    r->budget = budget;
    r->over = false;
    return r;
}

int store_sqlite_open_readers(store_sqlite_t *s)
{
    for (unsigned i = 0; i < STORE_READERS; i++) {
        if (store_sqlite_db_open(s->path, SQLITE_OPEN_READONLY, &s->rd[i].db) < 0)
            return STORE_EFAILED;
        sqlite3_progress_handler(s->rd[i].db, PROGRESS_STEPS, on_progress, &s->rd[i]);
    }
    return 0;
}

/* Ends a statement's use: 0 when rc is SQLITE_DONE; STORE_ECANCELED or STORE_EBUDGET when
 * the progress handler abandoned it; else STORE_EFAILED after logging. */
static int finish(store_sqlite_t *s, store_sqlite_reader_t *r, sqlite3_stmt *st, int rc,
                  const char *what)
{
    int out = 0;
    if (rc == SQLITE_INTERRUPT) /* only the progress handler interrupts a reader */
        out = r->over ? STORE_EBUDGET : STORE_ECANCELED;
    else if (rc != SQLITE_DONE) {
        log_warn("store: %s: %s failed: %s", s->path, what, sqlite3_errmsg(r->db));
        out = STORE_EFAILED;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

/* The thread of every msg among the rows (oldest first, consecutive seqs): one grouped
 * range scan of the thread index, whatever the page's size. */
static int fill_replies(store_sqlite_t *s, store_sqlite_reader_t *r, const char *channel,
                        store_rows_t *out)
{
    store_msg_t *rows = out->rows;
    size_t n = out->n;
    sqlite3_stmt *st = r->st[RD_REPLIES];
    int rc = store_sqlite_bind(st, "tuu", channel, rows[0].seq, rows[n - 1].seq);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    store_db_row_t row = store_sqlite_row(st);
    for (; rc == SQLITE_ROW; rc = sqlite3_step(st))
        store_db_replies(&row, out);
    return finish(s, r, st, rc, "reply counts");
}

/* A channel's msgs among q->seqs, or one msg's edit history (store_query_t). */
static int query_listed(store_sqlite_t *s, store_sqlite_reader_t *r, const store_query_t *q,
                        store_rows_t *out)
{
    sqlite3_stmt *st = r->st[q->nseqs ? RD_SEQS : RD_EDITS];
    buf_t list = BUF_INIT;
    for (size_t i = 0; i < q->nseqs; i++)
        buf_appendf(&list, "%s%llu", i ? "," : "[", (unsigned long long)q->seqs[i]);
    buf_append_str(&list, "]");
    int rc = q->nseqs ? store_sqlite_bind(st, "tt", q->channel, list.data)
                      : store_sqlite_bind(st, "tu", q->channel, q->edits);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)q->limit + 1);
    if (rc == SQLITE_OK)
        rc = rows_read(st, out, &store_db_msg_shape);
    rc = finish(s, r, st, rc, q->nseqs ? "pinned messages" : "edit history");
    buf_deinit(&list);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < out->n; i++)
        out->rows[i].channel = q->channel;
    store_db_page(out, q->limit, false);
    return 0;
}

/* Runs one query. Rows come newest first for history (DESC), so they are reversed; one row
 * beyond the limit is asked for to learn `more`, and dropped. */
int store_sqlite_query(void *impl, const store_read_t *rd, const store_query_t *q,
                       store_rows_t *out)
{
    store_sqlite_t *s = impl;
    store_sqlite_reader_t *r = reader_start(s, rd, s->read_budget);
    if (q->nseqs || q->edits)
        return query_listed(s, r, q, out);
    sqlite3_stmt *st = r->st[RD_NEWEST];
    uint64_t bound = 0;
    if (q->thread > 0) {
        st = r->st[RD_THREAD];
        bound = q->thread;
    } else if (q->after > 0 || q->forward) {
        st = r->st[RD_AFTER];
        bound = q->after;
    } else if (q->before > 0) {
        st = r->st[RD_BEFORE];
        bound = q->before;
    }
    bool desc = st != r->st[RD_AFTER] && st != r->st[RD_THREAD];
    /* RD_NEWEST has no ?2: bind ?1 and ?3 only. */
    int rc = st == r->st[RD_NEWEST] ? store_sqlite_bind(st, "t", q->channel)
                                    : store_sqlite_bind(st, "tu", q->channel, bound);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)q->limit + 1);
    if (rc == SQLITE_OK)
        rc = rows_read(st, out, &store_db_msg_shape);
    if ((rc = finish(s, r, st, rc, "history query")) < 0)
        return rc;

    for (size_t i = 0; i < out->n; i++)
        out->rows[i].channel = q->channel; /* the op's copy outlives the rows */
    store_db_page(out, q->limit, desc);
    if (q->replies && out->n > 0)
        return fill_replies(s, r, q->channel, out);
    return 0;
}

/* Appends s as an FTS5 string on the text column: in double quotes, inner quotes doubled
 * (the index also holds each entry's key, which no term may reach). */
static void fts_term(buf_t *out, const char *s)
{
    buf_append_str(out, out->len ? " text : \"" : "text : \"");
    for (; *s; s++) {
        if (*s == '"')
            buf_append_str(out, "\"");
        buf_append(out, s, 1);
    }
    buf_append_str(out, "\"");
}

/* Appends s as a JSON string (for json_each): quotes, backslashes and controls escaped. */
static void json_string(buf_t *b, const char *s)
{
    buf_append_str(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_appendf(b, "\\%c", c);
        else if (c < 0x20)
            buf_appendf(b, "\\u%04x", c);
        else
            buf_append(b, s, 1);
    }
    buf_append_str(b, "\"");
}

/* Runs a search: every term must match (FTS5's implicit AND); without terms, the author's
 * messages (RD_SEARCH_FROM). */
int store_sqlite_search(void *impl, const store_read_t *rd, const store_search_t *q,
                        store_rows_t *out)
{
    store_sqlite_t *s = impl;
    store_sqlite_reader_t *r = reader_start(s, rd, s->read_budget);
    buf_t match = BUF_INIT;
    for (size_t i = 0; i < q->nterms; i++)
        fts_term(&match, q->terms[i].text);
    buf_t chans = BUF_INIT; /* a JSON array of the channels, for json_each */
    for (size_t i = 0; i < q->nchannels; i++) {
        buf_append_str(&chans, i ? "," : "[");
        json_string(&chans, q->channels[i]);
    }
    if (q->nchannels)
        buf_append(&chans, "]", 2);
    sqlite3_stmt *st = r->st[q->nterms ? RD_SEARCH : RD_SEARCH_FROM];
    bool cur = q->after_channel != NULL;
    int rc =
        store_sqlite_bind(st, "tttitiiitu", match.data, q->user, q->channel, (int64_t)q->limit + 1,
                          q->nchannels ? chans.data : NULL, q->since > 0 ? q->since : INT64_MIN,
                          q->until > 0 ? q->until : INT64_MAX, cur ? q->after_ts : INT64_MAX,
                          cur ? q->after_channel : "", cur ? q->after_seq : (uint64_t)0);
    if (rc == SQLITE_OK)
        rc = rows_read(st, out, &store_db_search_shape);
    rc = finish(s, r, st, rc, "search");
    buf_deinit(&match);
    buf_deinit(&chans);
    if (rc < 0)
        return rc;
    store_db_page(out, q->limit, false);
    return 0;
}

/* Unread mentions of one user: rows of channel and seq. */
int store_sqlite_mention_counts(void *impl, const store_read_t *rd, uint64_t user_id,
                                store_rows_t *out)
{
    store_sqlite_t *s = impl;
    store_sqlite_reader_t *r = reader_start(s, rd, s->read_budget * READ_COUNTS_FACTOR);
    sqlite3_stmt *st = r->st[RD_MENTION_COUNT];
    int rc = store_sqlite_bind(st, "u", user_id);
    if (rc == SQLITE_OK)
        rc = rows_read(st, out, &store_db_counts_shape);
    return finish(s, r, st, rc, "mention counts");
}

/* Every channel's highest seq: rows of channel and seq, by name. */
int store_sqlite_positions(void *impl, const store_read_t *rd, store_rows_t *out)
{
    store_sqlite_t *s = impl;
    store_sqlite_reader_t *r = reader_start(s, rd, s->read_budget * READ_COUNTS_FACTOR);
    sqlite3_stmt *st = r->st[RD_POSITIONS];
    int rc = finish(s, r, st, rows_read(st, out, &store_db_counts_shape), "positions");
    if (rc == 0)
        store_db_page(out, STORE_POSITIONS_MAX, false);
    return rc;
}
