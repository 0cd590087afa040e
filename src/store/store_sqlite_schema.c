/* store_sqlite_schema - the SQLite backend's database: its tables, each version's migration
 * (a file of an older parley is brought up to date in place, in one transaction), and the
 * SQL of every statement the backend prepares and of start-up's reads.
 *
 * Version 3 adds the client key (messages.cid, NULL for none) with a partial index for
 * start-up's newest keyed events, and the one-row probe table store_probe writes.
 *
 * Version 4 adds accounts: users, sessions, invites (and reset links), and meta, whose
 * accounts_version the `parley user` command bumps so that a running server re-reads them.
 * Its migration makes every name that wrote, joined or read a users row (see sql_create_v4).
 *
 * Version 5 keys people by user id instead of by name (messages.user_id, channels.creator_id,
 * members, reads, mentions): a guest's name passes to someone else once its hold lapses, and
 * that person must not inherit the guest's memberships, read markers, mentions, reactions,
 * authorship or client keys. Names stay where they are shown or searched (messages.user,
 * channels.created_by, the search index). Its migration maps each stored name to one users
 * row (see sql_create_v5).
 *
 * Version 7 adds channels.archived (a read-only channel) and a trigger that deletes
 * everything of a channel whose row is deleted (STORE_CHANNEL_DELETE): memberships, read
 * markers, mentions, events and their search entries (found by their key's prefix, which
 * names the channel), so that the delete is one statement and cannot leave a part behind.
 *
 * Version 8 adds messages_key, the index an append without a seq (store_msg_t.seq 0) finds
 * its client key's original by (sql_create_v8).
 *
 * Version 9 adds messages_author, for a search by author alone (sql_create_v9).
 * Version 10 adds messages.files, the files a message carries (store_msg_t.files).
 * Version 11 adds notify, each user's notification level of a channel when it is not the
 * default "all", and a trigger that deletes a deleted channel's rows (sql_create_v11).
 * Version 12 adds the profile to users: title, tz, avatar (store_user_t).
 * Version 13 adds messages.original and the index of pins (sql_create_v13).
 * Version 14 adds messages.app (the integration that posted a message) and hooks, the
 * incoming webhooks (store_hook_t; sql_create_v14).
 * Version 15 adds users.bot: an account that is a bot (store_user_t.bot). */
#include <string.h>

#include "base/log.h"
#include "store/store_sqlite_int.h"

const char *const store_sqlite_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INSERT] = "INSERT INTO messages(channel, seq, user, text, ts, kind, thread, target, cid, "
                  "guest, user_id, files, app) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                  "?11, ?12, ?13)",
    [ST_FTS_DELETE] = "DELETE FROM messages_fts WHERE messages_fts MATCH ?1",
    [ST_MENTION_ADD] = "INSERT OR IGNORE INTO mentions(user_id, channel, seq) VALUES(?1, ?2, ?3)",
    [ST_MENTION_DROP] = "DELETE FROM mentions WHERE channel = ?1 AND seq = ?2",
    [ST_CHANNEL_PUT] = "INSERT INTO channels(name, kind, topic, created_by, creator_id, ts, "
                       "archived) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(name) DO UPDATE "
                       "SET kind = excluded.kind, topic = excluded.topic, "
                       "archived = excluded.archived",
    [ST_CHANNEL_CREATE] = "INSERT INTO channels(name, kind, topic, created_by, creator_id, ts, "
                          "archived) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                          "ON CONFLICT(name) DO NOTHING",
    [ST_CHANNEL_DELETE] = "DELETE FROM channels WHERE name = ?1",
    [ST_PROBE] = "UPDATE probe SET n = n + 1 WHERE id = 1",
    [ST_MEMBER_ADD] = "INSERT OR IGNORE INTO members(channel, user_id, ts) VALUES(?1, ?2, ?3)",
    [ST_MEMBER_REMOVE] = "DELETE FROM members WHERE channel = ?1 AND user_id = ?2",
    /* A message's entry carries its own time, also when an edit rewrites its text. */
    [ST_FTS_INSERT] = "INSERT INTO messages_fts(text, key, channel, seq, user, ts) "
                      "SELECT ?2, ?1, ?3, ?4, ?5, coalesce((SELECT ts FROM messages "
                      "WHERE channel = ?3 AND seq = ?4), ?6)",
    [ST_READ] = "INSERT INTO reads(channel, user_id, seq) VALUES(?1, ?2, ?3) "
                "ON CONFLICT(channel, user_id) DO UPDATE SET seq = max(seq, excluded.seq)",
    /* Without a conflict target, DO NOTHING covers both the id and the canon (and only
     * uniqueness: a NOT NULL violation still fails). */
    [ST_USER_CREATE] = "INSERT INTO users(id, name, canon, display, role, pass, state, created, "
                       "seen, title, tz, avatar, bot) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                       "?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING",
    [ST_USER_PUT] = "UPDATE users SET name = ?2, canon = ?3, display = ?4, role = ?5, pass = ?6, "
                    "state = ?7, created = ?8, seen = ?9, title = ?10, tz = ?11, avatar = ?12, "
                    "bot = ?13 WHERE id = ?1",
    /* Would USER_PUT of id ?1 with canon ?2 take another row's canon? (NULL never does.) */
    [ST_USER_CANON_TAKEN] = "SELECT EXISTS(SELECT 1 FROM users WHERE id = ?1) AND "
                            "EXISTS(SELECT 1 FROM users WHERE canon = ?2 AND id <> ?1)",
    /* Upserts by id: a hash held by another row is a UNIQUE violation, so a failure. */
    [ST_SESSION_PUT] = "INSERT INTO sessions(id, hash, user_id, created, seen, expires, agent, "
                       "addr) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE "
                       "SET hash = excluded.hash, user_id = excluded.user_id, created = "
                       "excluded.created, seen = excluded.seen, expires = excluded.expires, "
                       "agent = excluded.agent, addr = excluded.addr",
    [ST_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
    [ST_SESSIONS_REVOKE] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
    [ST_INVITE_PUT] = "INSERT INTO invites(id, hash, kind, creator, user_id, role, created, "
                      "expires, uses, max_uses, revoked) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                      "?9, ?10, ?11) ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, kind = "
                      "excluded.kind, creator = excluded.creator, user_id = excluded.user_id, "
                      "role = excluded.role, created = excluded.created, expires = "
                      "excluded.expires, uses = excluded.uses, max_uses = excluded.max_uses, "
                      "revoked = excluded.revoked",
    [ST_HOOK_PUT] = "INSERT INTO hooks(id, hash, channel, name, creator, created, revoked) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO UPDATE SET hash = "
                    "excluded.hash, channel = excluded.channel, name = excluded.name, creator = "
                    "excluded.creator, created = excluded.created, revoked = excluded.revoked",
    [ST_ACCOUNTS_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'accounts_version'",
    /* What an edit and a delete do to their target row (and a delete to the edits of it):
     * reads then serve the message as it stands, never a text it no longer has. */
    /* The first edit keeps the text as sent in `original` (the edit history's first row). */
    [ST_EDIT_APPLY] = "UPDATE messages SET original = CASE WHEN edited = 0 THEN text ELSE "
                      "original END, text = ?3, edited = 1 WHERE channel = ?1 AND "
                      "seq = ?2 AND kind = 'msg' AND deleted = 0",
    /* Two statements, each on its index: an OR of the two made SQLite scan the channel. */
    [ST_DELETE_APPLY] = "UPDATE messages SET text = '', original = NULL, files = '', deleted = 1, "
                        "edited = 0 WHERE "
                        "channel = ?1 AND seq = ?2 AND kind = 'msg'",
    [ST_DELETE_EDITS] = "UPDATE messages SET text = '' WHERE channel = ?1 AND target = ?2 AND "
                        "kind = 'edit'",
    [ST_BLANK] = "UPDATE messages SET text = '' WHERE channel = ?1 AND seq = ?2",
    /* An append without a seq (store_msg_t.seq 0): the channel's next, off the primary key's
     * end, or the lowest seq of its key, off messages_key. */
    [ST_NEXT_SEQ] = "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE channel = ?1",
    [ST_KEYED_SEQ] = "SELECT seq FROM messages WHERE channel = ?1 AND user_id = ?2 AND cid = ?3 "
                     "ORDER BY seq LIMIT 1",
    [ST_NOTIFY_SET] = "INSERT INTO notify(channel, user_id, level) VALUES(?1, ?2, ?3) "
                      "ON CONFLICT(channel, user_id) DO UPDATE SET level = excluded.level",
    [ST_NOTIFY_CLEAR] = "DELETE FROM notify WHERE channel = ?1 AND user_id = ?2",
};

/* Every read uses an index (test_store_sqlite checks the plans): a page of a channel is a
 * range of the primary key, a thread the parent by key and its replies by messages_thread. */
const char *const store_sqlite_sql_read[RD_COUNT] = {
    [RD_AFTER] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 AND seq > ?2 "
                 "ORDER BY seq ASC LIMIT ?3",
    [RD_BEFORE] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 AND seq < ?2 "
                  "ORDER BY seq DESC LIMIT ?3",
    [RD_NEWEST] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 "
                  "ORDER BY seq DESC LIMIT ?3",
    /* One `seq = ?2 OR thread = ?2` walked the whole channel in seq order looking for the
     * replies. Here the parent comes by key and the replies by the partial index, in index
     * order (channel, thread, then seq: the key the index holds), so a page costs what it
     * returns however long the thread or the channel. SQLite 3.40 plans `thread = ?2` next to
     * the index's own `thread > 0` as a range from 0, hence the BETWEEN, and would rather walk
     * the key in seq order for the outer ORDER BY, hence INDEXED BY. */
    [RD_THREAD] = "SELECT " MSG_COLS " FROM (SELECT " MSG_COLS " FROM messages WHERE channel = ?1 "
                  "AND seq = ?2 UNION ALL SELECT * FROM (SELECT " MSG_COLS " FROM messages "
                  "INDEXED BY messages_thread WHERE channel = ?1 AND thread > 0 AND thread "
                  "BETWEEN ?2 AND ?2 AND kind = 'msg' ORDER BY thread, seq LIMIT ?3)) "
                  "ORDER BY seq ASC LIMIT ?3",
    /* The literal thread > 0 lets SQLite use the partial index messages_thread. */
    [RD_REPLIES] = "SELECT thread, count(*), max(seq), max(ts) FROM messages WHERE channel = ?1 "
                   "AND thread > 0 AND thread BETWEEN ?2 AND ?3 AND kind = 'msg' GROUP BY thread",
    /* The page first, then each row's cid, thread and edited mark from messages: a lookup
     * per row returned, not per row matched. ?6 and ?7 bound ts (since, until), and
     * (?8, ?9, ?10) is the page cursor (ts, channel, seq): bound to the ends of int64 when
     * absent, so that every search has the same shape. */
    [RD_SEARCH] =
        "SELECT f.seq, f.user, f.text, f.ts, f.channel, m.cid, m.guest, m.user_id, m.thread, "
        "m.edited FROM (SELECT seq, user, text, ts, channel FROM messages_fts WHERE "
        "messages_fts MATCH ?1 AND (?2 IS NULL OR user = ?2) AND (?3 IS NULL OR channel = ?3) "
        "AND (?5 IS NULL OR channel IN (SELECT value FROM json_each(?5))) AND ts >= ?6 AND "
        "ts < ?7 AND (ts, channel, seq) < (?8, ?9, ?10) ORDER BY ts DESC, channel DESC, "
        "seq DESC LIMIT ?4) f LEFT JOIN messages m ON m.channel = f.channel AND m.seq = f.seq "
        "ORDER BY f.ts DESC, f.channel DESC, f.seq DESC",
    /* `from:` without words: the author's messages walked backwards on messages_author
     * (user, ts, channel, seq), which is the answer's order, so a page reads what it
     * returns plus what the channel filters skip; ?1 is unused. */
    [RD_SEARCH_FROM] =
        "SELECT seq, user, text, ts, channel, cid, guest, user_id, thread, edited FROM messages "
        "INDEXED BY messages_author WHERE user = ?2 AND kind = 'msg' AND deleted = 0 AND "
        "(?3 IS NULL OR channel = ?3) AND (?5 IS NULL OR channel IN (SELECT value FROM "
        "json_each(?5))) AND ts >= ?6 AND ts < ?7 AND (ts, channel, seq) < (?8, ?9, ?10) "
        "ORDER BY ts DESC, channel DESC, seq DESC LIMIT ?4",
    /* 0 is STORE_MENTION_ALL: @channel and @here count for everyone. */
    [RD_MENTION_COUNT] =
        "SELECT m.channel, m.seq FROM mentions m WHERE m.user_id IN (?1, 0) AND m.seq > "
        "coalesce((SELECT r.seq FROM reads r WHERE r.channel = m.channel AND r.user_id = ?1), 0) "
        "GROUP BY m.channel, m.seq ORDER BY m.channel, m.seq LIMIT " STR(STORE_MENTIONS_MAX),
    /* A skip scan of the primary key: from each channel the next name (one seek, min over
     * the keys past it), then that channel's highest seq (one seek), so the read costs two
     * seeks per channel however many events each holds. The plain `SELECT channel, max(seq)
     * ... GROUP BY channel` is planned by SQLite 3.40 as a SCAN of the whole table, ~10 VM
     * steps per event. One row beyond the bound, to learn `more`. */
    [RD_POSITIONS] = "WITH RECURSIVE c(name) AS (SELECT min(channel) FROM messages UNION ALL "
                     "SELECT (SELECT min(channel) FROM messages WHERE channel > c.name) FROM c "
                     "WHERE c.name IS NOT NULL) SELECT name, (SELECT max(seq) FROM messages "
                     "WHERE channel = c.name) FROM c WHERE name IS NOT NULL "
                     "LIMIT " STR(STORE_POSITIONS_MAX) " + 1",
    /* A channel's pinned messages: each seq by the primary key. */
    [RD_SEQS] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 AND seq IN (SELECT value "
                "FROM json_each(?2)) AND kind = 'msg' ORDER BY seq LIMIT ?3",
    /* A msg's edit history: the msg by key (its first text), its edits on messages_edit. */
    [RD_EDITS] =
        "SELECT seq, user, CASE WHEN original IS NOT NULL THEN original WHEN edited "
        "THEN '' ELSE text END, ts, kind, thread, target, cid, guest, user_id, deleted, "
        "edited, files, app FROM messages WHERE channel = ?1 AND seq = ?2 AND kind = 'msg' "
        "UNION ALL SELECT * FROM (SELECT " MSG_COLS " FROM messages INDEXED BY messages_edit "
        "WHERE channel = ?1 AND target = ?2 AND kind = 'edit' ORDER BY seq LIMIT ?3) "
        "ORDER BY seq LIMIT ?3",
};

static const char sql_create_v1[] =
    "CREATE TABLE messages(channel TEXT NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL, "
    "text TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY(channel, seq)) WITHOUT ROWID";

/* Channels other than #general, and who is in them (#general has everyone, unrecorded). */
static const char sql_create_v2[] =
    "CREATE TABLE channels(name TEXT PRIMARY KEY, kind TEXT NOT NULL, topic TEXT NOT NULL, "
    "created_by TEXT NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE members(channel TEXT NOT NULL, user TEXT NOT NULL, ts INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user)) WITHOUT ROWID;"
    "CREATE TABLE reads(channel TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user)) WITHOUT ROWID;"
    /* Search: its own copy of each text (messages has no rowid to point at), written in
     * the same transaction as the message; messages already stored are indexed here. */
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, key, channel UNINDEXED, "
    "seq UNINDEXED, user UNINDEXED, ts UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');"
    "INSERT INTO messages_fts(text, key, channel, seq, user, ts) "
    "SELECT text, 'k' || hex(channel) || 'x' || seq, channel, seq, user, ts FROM messages;"
    /* Events: what a row is (msg, edit, delete, react, unreact), its thread, its target. */
    "ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'msg';"
    "ALTER TABLE messages ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN target INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX messages_thread ON messages(channel, thread) WHERE thread > 0;"
    "CREATE INDEX messages_react ON messages(channel, seq) WHERE kind IN ('react', 'unreact');"
    /* Who each message mentions, for unread mention counts. */
    "CREATE TABLE mentions(user TEXT NOT NULL, channel TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(user, channel, seq)) WITHOUT ROWID";

/* Client keys, and the row a probe writes. Start-up reads the newest keyed events through
 * the partial index in ts order (on this WITHOUT ROWID table its entries also hold channel
 * and seq, the rest of the ORDER BY), so it scans 65,536 entries whatever the table's size:
 * about 75 ms on a million keyed messages. A covering index (with user and cid) read them in
 * 50 ms but grew the file by twice as much, on every message written. */
static const char sql_create_v3[] =
    "ALTER TABLE messages ADD COLUMN cid TEXT;"
    "CREATE INDEX messages_cid ON messages(ts) WHERE cid IS NOT NULL;"
    "CREATE TABLE probe(id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
    "INSERT INTO probe(id, n) VALUES(1, 0)";

/* Accounts. canon is UNIQUE among the rows that have one (NULLs are distinct in SQLite).
 * Sessions are found by hash (sign-in) and by user (revocation).
 *
 * The migration turns every name of an older file into an account (role member, no
 * password, active, no display name), so that the names behind the stored history,
 * memberships and read markers stay taken. canon stays NULL: auth computes canonical forms
 * at load, with ICU, which SQL cannot. A name counts once it wrote, joined or read anything
 * (messages.user, members.user, reads.user); "anonymous" and "Client #N", the names of the
 * text modes, are not accounts, nor is "". created is the name's earliest ts in messages
 * and members, seen its latest (a name found only in reads gets the migration's time for
 * both); ids are 1, 2, ... in order of created (first appearance), ties by name (bytes). */
static const char sql_create_v4[] =
    /* Whether a guest wrote it: the text modes' names always were guests. */
    "ALTER TABLE messages ADD COLUMN guest INTEGER NOT NULL DEFAULT 0;"
    "UPDATE messages SET guest = 1 WHERE user IN ('', 'anonymous') OR "
    "substr(user, 1, 8) = 'Client #';"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, canon TEXT UNIQUE, "
    "display TEXT NOT NULL, role TEXT NOT NULL, pass TEXT, state TEXT NOT NULL, "
    "created INTEGER NOT NULL, seen INTEGER NOT NULL);"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, "
    "user_id INTEGER NOT NULL, created INTEGER NOT NULL, seen INTEGER NOT NULL, "
    "expires INTEGER NOT NULL, agent TEXT NOT NULL, addr TEXT NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE invites(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
    "creator INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, "
    "created INTEGER NOT NULL, expires INTEGER NOT NULL, uses INTEGER NOT NULL, "
    "max_uses INTEGER NOT NULL, revoked INTEGER NOT NULL);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES('accounts_version', 0);"
    "INSERT INTO users(id, name, canon, display, role, pass, state, created, seen) "
    "WITH now(ms) AS (SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), "
    "found(name, first, last) AS ("
    "SELECT user, min(ts), max(ts) FROM messages GROUP BY user UNION ALL "
    "SELECT user, min(ts), max(ts) FROM members GROUP BY user UNION ALL "
    "SELECT user, NULL, NULL FROM reads GROUP BY user), "
    "names(name, created, seen) AS (SELECT name, coalesce(min(first), (SELECT ms FROM now)), "
    "coalesce(max(last), (SELECT ms FROM now)) FROM found WHERE name NOT IN ('', 'anonymous') "
    "AND substr(name, 1, 8) <> 'Client #' GROUP BY name) "
    "SELECT row_number() OVER (ORDER BY created, name), name, NULL, '', 'member', NULL, "
    "'active', created, seen FROM names";

/* People by user id. A row of an older file names a person, and the migration maps each name
 * to one users row, once, in v5_ids: the row that holds the name now (canon set), which is
 * who a v4 server gave that name's rows to, so nothing changes hands at the upgrade; else the
 * newest row of that name (a guest whose hold lapsed, or a name v4's migration made, whose
 * canon auth has not computed yet), the last to have used it. Older rows cannot tell which
 * of several rows of one name wrote them: this is the best guess, made once. users_name lets
 * that map be read off the index in name order instead of sorting users, and stays for
 * lookups by name; every table then joins the map by its primary key, so the migration costs
 * a lookup per row, not a scan of users per row.
 *
 * A name no row has (the text modes' "anonymous" and "Client #N", "") maps to nothing: its
 * messages and channels get 0 (no account), its memberships, read markers and mentions are
 * dropped, since nobody can sign in as it. In mentions, "channel" and "here" (@channel,
 * @here) become 0, STORE_MENTION_ALL, whoever holds those names. members, reads and mentions
 * are rebuilt, their keys being new; two names never map to one id (a row has one name), but
 * the rebuilds keep a read marker's highest seq and ignore duplicates all the same, and
 * @channel and @here of one message become one row. */
static const char sql_create_v5[] =
    "CREATE INDEX users_name ON users(name);"
    "CREATE TEMP TABLE v5_ids(name TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO v5_ids(name, id) SELECT name, coalesce(max(CASE WHEN canon IS NOT NULL THEN id "
    "END), max(id)) FROM users GROUP BY name;"
    "ALTER TABLE messages ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;"
    "UPDATE messages SET user_id = (SELECT i.id FROM v5_ids i WHERE i.name = messages.user) "
    "WHERE user IN (SELECT name FROM v5_ids);"
    "ALTER TABLE channels ADD COLUMN creator_id INTEGER NOT NULL DEFAULT 0;"
    "UPDATE channels SET creator_id = (SELECT i.id FROM v5_ids i WHERE i.name = "
    "channels.created_by) WHERE created_by IN (SELECT name FROM v5_ids);"
    "CREATE TABLE members_v5(channel TEXT NOT NULL, user_id INTEGER NOT NULL, "
    "ts INTEGER NOT NULL, PRIMARY KEY(channel, user_id)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO members_v5(channel, user_id, ts) SELECT m.channel, i.id, m.ts FROM "
    "members m JOIN v5_ids i ON i.name = m.user;"
    "DROP TABLE members;"
    "ALTER TABLE members_v5 RENAME TO members;"
    "CREATE TABLE reads_v5(channel TEXT NOT NULL, user_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user_id)) WITHOUT ROWID;"
    "INSERT INTO reads_v5(channel, user_id, seq) SELECT r.channel, i.id, max(r.seq) FROM reads r "
    "JOIN v5_ids i ON i.name = r.user GROUP BY r.channel, i.id;"
    "DROP TABLE reads;"
    "ALTER TABLE reads_v5 RENAME TO reads;"
    "CREATE TABLE mentions_v5(user_id INTEGER NOT NULL, channel TEXT NOT NULL, "
    "seq INTEGER NOT NULL, PRIMARY KEY(user_id, channel, seq)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO mentions_v5(user_id, channel, seq) SELECT 0, channel, seq FROM "
    "mentions WHERE user IN ('channel', 'here');"
    "INSERT OR IGNORE INTO mentions_v5(user_id, channel, seq) SELECT i.id, m.channel, m.seq FROM "
    "mentions m JOIN v5_ids i ON i.name = m.user WHERE m.user NOT IN ('channel', 'here');"
    "DROP TABLE mentions;"
    "ALTER TABLE mentions_v5 RENAME TO mentions;"
    "DROP TABLE v5_ids";

/* The search index has no column to find a channel's entries by but their key,
 * 'k' || hex(channel) || 'x' || seq: one token, found by its prefix. */
static const char sql_create_v7[] =
    "ALTER TABLE channels ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
    "CREATE TRIGGER channel_deleted AFTER DELETE ON channels BEGIN "
    "DELETE FROM members WHERE channel = old.name;"
    "DELETE FROM reads WHERE channel = old.name;"
    "DELETE FROM mentions WHERE channel = old.name;"
    "DELETE FROM messages WHERE channel = old.name;"
    "DELETE FROM messages_fts WHERE messages_fts MATCH 'key : \"k' || hex(old.name) || 'x\" *';"
    "END";

/* A seq-0 append looks for its (channel, user_id, cid) before it inserts: this index answers
 * that with a search, its entries ending with the seq (the primary key's rest), so the
 * lowest comes first. Partial like messages_cid: a message without a key costs nothing. */
static const char sql_create_v8[] =
    "CREATE INDEX messages_key ON messages(channel, user_id, cid) WHERE cid IS NOT NULL";

/* Search by author alone (`from:bob` without words), newest first: one backwards walk of the
 * author's messages, however large the channels they wrote in. */
static const char sql_create_v9[] =
    "CREATE INDEX messages_author ON messages(user, ts, channel, seq) WHERE kind = 'msg'";

const char store_sqlite_sql_channels[] =
    "SELECT name, kind, topic, created_by, creator_id, ts, archived FROM channels ORDER BY name";

const char store_sqlite_sql_last_seq[] = "SELECT max(seq) FROM messages WHERE channel = ?1";

const char store_sqlite_sql_accounts_version[] =
    "SELECT value FROM meta WHERE key = 'accounts_version'";

int store_sqlite_db_open(const char *path, int flags, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        char why[WHY_MAX];
        log_error("store: cannot open %s: %s", path,
                  db ? store_sqlite_why(db, why) : "out of memory");
        sqlite3_close(db);
        return STORE_EFAILED;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    *out = db;
    return 0;
}

static int db_exec(sqlite3 *db, const char *path, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    char why[WHY_MAX];
    log_error("store: %s: %s: %s", path, sql, store_sqlite_why(db, why));
    return STORE_EFAILED;
}

/* Runs a statement returning one integer (or text, into text/size); 0 or -1 after logging. */
static int db_get(sqlite3 *db, const char *path, const char *sql, sqlite3_int64 *num, char *text,
                  size_t size)
{
    char why[WHY_MAX];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && num)
        *num = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW && text) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t len = t ? strlen(t) : 0;
        len = len < size ? len : size - 1;
        memcpy(text, t ? t : "", len);
        text[len] = '\0';
    }
    if (rc != SQLITE_ROW)
        log_error("store: %s: %s: %s", path, sql,
                  rc == SQLITE_NOTADB ? "not a SQLite database" : store_sqlite_why(db, why));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Deletes and edits applied to their targets' rows (version 6: before, a message kept its
 * first text and clients folded the events; answers carried deleted and replaced text). The
 * partial index finds a target's edits (a delete blanks them) without scanning the channel.
 * The migration applies every stored edit (the newest wins) and delete. */
static const char sql_create_v6[] =
    "ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX messages_edit ON messages(channel, target) WHERE kind = 'edit';"
    "UPDATE messages SET edited = 1, text = (SELECT e.text FROM messages e WHERE "
    "e.channel = messages.channel AND e.target = messages.seq AND e.kind = 'edit' "
    "ORDER BY e.seq DESC LIMIT 1) WHERE kind = 'msg' AND EXISTS (SELECT 1 FROM messages e "
    "WHERE e.channel = messages.channel AND e.target = messages.seq AND e.kind = 'edit');"
    "UPDATE messages SET text = '', deleted = (kind = 'msg'), edited = 0 WHERE (kind = 'msg' "
    "AND EXISTS (SELECT 1 "
    "FROM messages d WHERE d.channel = messages.channel AND d.target = messages.seq AND "
    "d.kind = 'delete')) OR (kind = 'edit' AND EXISTS (SELECT 1 FROM messages d WHERE "
    "d.channel = messages.channel AND d.target = messages.target AND d.kind = 'delete'))";

static const char sql_create_v10[] =
    "ALTER TABLE messages ADD COLUMN files TEXT NOT NULL DEFAULT ''";

/* Only the levels other than "all" have a row, so a user who never chose has none. A trigger
 * of its own (not channel_deleted's, which stays as version 7 made it) deletes a deleted
 * channel's rows. */
static const char sql_create_v11[] =
    "CREATE TABLE notify(channel TEXT NOT NULL, user_id INTEGER NOT NULL, level TEXT NOT NULL, "
    "PRIMARY KEY(channel, user_id)) WITHOUT ROWID;"
    "CREATE TRIGGER channel_deleted_notify AFTER DELETE ON channels BEGIN "
    "DELETE FROM notify WHERE channel = old.name;"
    "END";
static const char sql_create_v12[] = "ALTER TABLE users ADD COLUMN title TEXT NOT NULL DEFAULT '';"
                                     "ALTER TABLE users ADD COLUMN tz TEXT NOT NULL DEFAULT '';"
                                     "ALTER TABLE users ADD COLUMN avatar TEXT NOT NULL DEFAULT ''";
/* Pins and edit histories: a msg's text as first sent, kept by its first edit (NULL until
 * then, and for msgs edited before this version); pin events found without a scan. */
static const char sql_create_v13[] =
    "ALTER TABLE messages ADD COLUMN original TEXT;"
    "CREATE INDEX messages_pin ON messages(channel, seq) WHERE kind IN ('pin', 'unpin')";

/* Incoming webhooks: found by their token's hash (kept in memory by auth, like sessions). */
static const char sql_create_v14[] =
    "ALTER TABLE messages ADD COLUMN app TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE hooks(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, "
    "name TEXT NOT NULL, creator INTEGER NOT NULL, created INTEGER NOT NULL, "
    "revoked INTEGER NOT NULL)";
static const char sql_create_v15[] = "ALTER TABLE users ADD COLUMN bot INTEGER NOT NULL DEFAULT 0";

static int schema_create(sqlite3 *db, const char *path)
{
    if (db_exec(db, path, "BEGIN IMMEDIATE") < 0)
        return STORE_EFAILED;
    sqlite3_int64 version = 0; /* again, under the write lock: another process may have won */
    int rc = db_get(db, path, "PRAGMA user_version", &version, NULL, 0);
    if (rc == 0 && version == 0)
        rc = db_exec(db, path, sql_create_v1);
    if (rc == 0 && version < 2)
        rc = db_exec(db, path, sql_create_v2);
    if (rc == 0 && version < 3)
        rc = db_exec(db, path, sql_create_v3);
    if (rc == 0 && version < 4)
        rc = db_exec(db, path, sql_create_v4);
    if (rc == 0 && version < 5)
        rc = db_exec(db, path, sql_create_v5);
    if (rc == 0 && version < 6)
        rc = db_exec(db, path, sql_create_v6);
    if (rc == 0 && version < 7)
        rc = db_exec(db, path, sql_create_v7);
    if (rc == 0 && version < 8)
        rc = db_exec(db, path, sql_create_v8);
    if (rc == 0 && version < 9)
        rc = db_exec(db, path, sql_create_v9);
    if (rc == 0 && version < 10)
        rc = db_exec(db, path, sql_create_v10);
    if (rc == 0 && version < 11)
        rc = db_exec(db, path, sql_create_v11);
    if (rc == 0 && version < 12)
        rc = db_exec(db, path, sql_create_v12);
    if (rc == 0 && version < 13)
        rc = db_exec(db, path, sql_create_v13);
    if (rc == 0 && version < 14)
        rc = db_exec(db, path, sql_create_v14);
    if (rc == 0 && version < 15)
        rc = db_exec(db, path, sql_create_v15);
    if (rc == 0 && version < SQLITE_SCHEMA_VERSION)
        rc = db_exec(db, path, "PRAGMA user_version = " STR(SQLITE_SCHEMA_VERSION));
    if (rc == 0)
        rc = db_exec(db, path, "COMMIT");
    if (rc < 0)
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Checks that path is empty or a parley database we understand, before writing anything to
 * it (WAL mode changes the file), then sets it up. */
int store_sqlite_schema_init(sqlite3 *db, const char *path, bool sync_full)
{
    sqlite3_int64 version = 0, objects = 0;
    if (db_get(db, path, "PRAGMA user_version", &version, NULL, 0) < 0)
        return STORE_EFAILED;
    if (version > SQLITE_SCHEMA_VERSION || version < 0) {
        log_error("store: %s was written by a newer parley (schema version %lld; this parley "
                  "knows up to %d): refusing to open it. Run that newer parley, or restore the "
                  "backup taken before the upgrade (docs/backups.md)",
                  path, (long long)version, SQLITE_SCHEMA_VERSION);
        return STORE_EFAILED;
    }
    if (version == 0 &&
        db_get(db, path, "SELECT count(*) FROM sqlite_master", &objects, NULL, 0) < 0)
        return STORE_EFAILED;
    if (objects > 0) {
        log_error("store: %s is a SQLite database, but not parley's", path);
        return STORE_EFAILED;
    }

    char mode[16];
    if (db_get(db, path, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode)) < 0)
        return STORE_EFAILED;
    if (strcmp(mode, "wal") != 0) {
        log_error("store: %s: cannot use WAL mode (journal_mode is %s)", path, mode);
        return STORE_EFAILED;
    }
    if (db_exec(db, path, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") <
        0)
        return STORE_EFAILED;
    /* The writer's page cache: 512 KB rather than SQLite's 2 MB. It appends (the right edge
     * of each b-tree and the search index's newest segment stay in it) and inserts a new
     * account's or session's index entries; the pages it evicts are in the kernel's cache,
     * a read away. 2 MB was 400 bytes of each of 5,000 idle guests' connections. */
    if (db_exec(db, path, "PRAGMA cache_size = -512") < 0)
        return STORE_EFAILED;
    /* A new file gets every table; an older parley's file gets what it lacks. */
    return version < SQLITE_SCHEMA_VERSION ? schema_create(db, path) : 0;
}

static int prepare(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) == SQLITE_OK)
        return 0;
    log_error("store: %s: preparing \"%s\": %s", path, sql, sqlite3_errmsg(db));
    return STORE_EFAILED;
}

int store_sqlite_prepare_all(store_sqlite_t *s)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (prepare(s->db, s->path, store_sqlite_sql[i], &s->st[i]) < 0)
            return STORE_EFAILED;
    for (unsigned r = 0; r < STORE_READERS; r++)
        for (int i = 0; i < RD_COUNT; i++)
            if (prepare(s->rd[r].db, s->path, store_sqlite_sql_read[i], &s->rd[r].st[i]) < 0)
                return STORE_EFAILED;
    if (prepare(s->rdb, s->path, store_sqlite_sql_last_seq, &s->st_last_seq) < 0)
        return STORE_EFAILED;
    return prepare(s->rdb, s->path, store_sqlite_sql_accounts_version, &s->st_accounts_version);
}
