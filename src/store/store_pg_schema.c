/* store_pg_schema - the PostgreSQL backend's tables, their creation (version 5; version 1
 * gains messages_author in place (2), version 2 messages.files (3), version 3 the table of
 * notification levels (4), version 4 the users' profile (5), version 5 the original texts
 * and pins (6), version 6 messages.app and the incoming webhooks (7), version 7 users.bot
 * (8), version 8 parley_words' ASCII path (9); a newer version is refused),
 * and the SQL of every statement the backend runs.
 *
 * Channels carry the order: channels.last_seq is the channel's highest committed seq, raised
 * in the transaction of the appends (by PW_SEQS, before the commit). A batch locks its
 * channels' rows first (PW_LOCK), so an append without a seq takes last_seq + 1 (or one
 * past what the batch stored) with no other process between its lookup and its commit:
 * processes sharing the database never take one seq twice nor leave a gap, and commit order
 * is seq order per channel. Never a sequence: nextval is not gapless.
 * A channel gets a row the first time anything names it (a message, a membership, a read
 * marker), not only when STORE_CHANNEL_PUT or CREATE writes one: #general, and every channel
 * of an older store, has messages without ever being "created". Such a row is not `listed`:
 * store_load does not report it, CREATE takes its name as free and PUT writes its fields as
 * if it inserted the row, and DELETE leaves it alone, exactly as SQLite, which has no row
 * there, behaves. Every row naming a channel references its row with ON DELETE CASCADE, so
 * STORE_CHANNEL_DELETE is one DELETE of the channel's row and cannot leave a part behind.
 *
 * Names that are ordered (channels, client keys) are COLLATE "C": byte order, whatever the
 * database's locale, as SQLite orders them, so both backends load in the same order.
 *
 * Search: a GIN index over to_tsvector('simple', parley_words(text)) of the rows of kind msg.
 * parley_words turns ASCII punctuation (and the common Unicode punctuation blocks) into
 * spaces first: PostgreSQL's parser reads "foo-bar", "a.b", "x@y.z" and "/a/b" as compound
 * tokens (hyphenated words, hosts, emails, paths), which would make "foo-bar" and "foo bar"
 * find different messages; split first, every word is a plain token, as in SQLite's
 * unicode61 tokenizer. A term is matched as the sequence of its tokens (phraseto_tsquery of
 * the same parley_words), and the terms together by parley_all, the && of them all. Nothing
 * of a term is ever read as tsquery syntax. Case is folded by the database's LC_CTYPE (ASCII
 * only under the C locale). An edit rewrites its target's text and a delete blanks it
 * (applied by the append's statement), so the index always holds what a reader may read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/store_pg_int.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The Latin letters with diacritics of U+00C0-U+024F that decompose (NFD) into an ASCII
 * letter and combining marks, and those letters: parley_words folds the one into the other
 * (and drops combining marks typed apart), so that "cafe" finds "café", as SQLite's
 * remove_diacritics does. Made with Python's unicodedata. */
#define ACCENTED                                                                                   \
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíî"             \
    "ïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜ"             \
    "ĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐő"             \
    "ŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽ"             \
    "žƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻ"             \
    "ȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯ"             \
    "ȰȱȲȳ"
#define UNACCENTED                                                                                 \
    "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeG"             \
    "gGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZ"             \
    "zOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOo"             \
    "OoYy"

/* ASCII punctuation, and the Latin-1, general and CJK punctuation blocks: what parley_words
 * turns into spaces (see the top of the file). */
#define PUNCT "[!-/:-@\\[-`{-~\\u00a0-\\u00bf\\u00d7\\u00f7\\u2000-\\u206f\\u3000-\\u303f]+"
#define SCHEMA_VERSION_SQL STR(PG_SCHEMA_VERSION)

/* parley_words (see the top of the file), version 9's. Text that is all ASCII (as good as
 * every message) skips the fold of diacritics: translate() walks its 300-letter list for
 * every character of the text, 27 µs for a 40-byte message, the most of an append's cost
 * in PostgreSQL, and folds nothing there (no ASCII letter is in the list, and there is no
 * combining mark). Same answers as version 8's body for any text, so the index built with
 * that body stays right. */
#define PARLEY_WORDS                                                                               \
    "parley_words(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "                      \
    "AS $$SELECT regexp_replace(CASE WHEN octet_length(t) = length(t) THEN t "                     \
    "ELSE regexp_replace(translate(t, '" ACCENTED "', '" UNACCENTED "'), "                         \
    "'[\\u0300-\\u036f]+', '', 'g') END, '" PUNCT "', ' ', 'g')$$"

/* The tables, in the order their references need. Every statement of version 1, laid out as
 * SQL is read, whatever clang-format would make of it. */
/* clang-format off */
static const char sql_create_v1[] =
    "CREATE TABLE meta(key text COLLATE \"C\" PRIMARY KEY, value bigint NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('schema_version', " SCHEMA_VERSION_SQL "), "
    "('accounts_version', 0), ('probe', 0);"
    "CREATE TABLE channels(name text COLLATE \"C\" PRIMARY KEY, "
    "kind text NOT NULL DEFAULT 'public', topic text NOT NULL DEFAULT '', "
    "created_by text NOT NULL DEFAULT '', creator_id bigint NOT NULL DEFAULT 0, "
    "ts bigint NOT NULL DEFAULT 0, archived boolean NOT NULL DEFAULT false, "
    "listed boolean NOT NULL DEFAULT false, last_seq bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE messages(channel text COLLATE \"C\" NOT NULL "
    "REFERENCES channels(name) ON DELETE CASCADE, seq bigint NOT NULL, author text NOT NULL, "
    "text text NOT NULL, ts bigint NOT NULL, kind text NOT NULL, thread bigint NOT NULL, "
    "target bigint NOT NULL, cid text COLLATE \"C\", guest boolean NOT NULL, "
    "user_id bigint NOT NULL, deleted boolean NOT NULL DEFAULT false, "
    "edited boolean NOT NULL DEFAULT false, files text NOT NULL DEFAULT '', "
    "PRIMARY KEY (channel, seq));"
    /* A thread page: its replies in seq order, on the index alone. */
    "CREATE INDEX messages_thread ON messages(channel, thread, seq) WHERE thread > 0;"
    "CREATE INDEX messages_react ON messages(channel, seq) WHERE kind IN ('react', 'unreact');"
    "CREATE INDEX messages_edit ON messages(channel, target) WHERE kind = 'edit';"
    /* store_load_keyed: the newest keyed events, read backwards. */
    "CREATE INDEX messages_keyed ON messages(ts, channel, seq) WHERE cid IS NOT NULL;"
    /* A seq-0 append's key, looked up before it inserts (the lowest seq first). Not unique:
     * a given seq is stored whatever its key (store.h); the channel's lock orders seq-0
     * appends of several processes, so the lookup and the insert see the same rows. */
    "CREATE INDEX messages_key ON messages(channel, user_id, cid, seq) WHERE cid IS NOT NULL;"
    /* parley_words is made before, by sql_v9. */
    "CREATE AGGREGATE parley_all(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);"
    "CREATE INDEX messages_search ON messages USING gin "
    "(to_tsvector('simple', parley_words(text))) WHERE kind = 'msg';"
    "CREATE INDEX messages_author ON messages(author, ts, channel, seq) WHERE kind = 'msg';"
    "CREATE TABLE members(channel text COLLATE \"C\" NOT NULL "
    "REFERENCES channels(name) ON DELETE CASCADE, user_id bigint NOT NULL, "
    "ts bigint NOT NULL, PRIMARY KEY (channel, user_id));"
    "CREATE TABLE reads(channel text COLLATE \"C\" NOT NULL "
    "REFERENCES channels(name) ON DELETE CASCADE, user_id bigint NOT NULL, "
    "seq bigint NOT NULL, PRIMARY KEY (channel, user_id));"
    "CREATE TABLE mentions(user_id bigint NOT NULL, channel text COLLATE \"C\" NOT NULL "
    "REFERENCES channels(name) ON DELETE CASCADE, seq bigint NOT NULL, "
    "PRIMARY KEY (user_id, channel, seq));"
    "CREATE INDEX mentions_seq ON mentions(channel, seq);"
    "CREATE TABLE users(id bigint PRIMARY KEY, name text NOT NULL, canon text UNIQUE, "
    "display text NOT NULL, role text NOT NULL, pass text, state text NOT NULL, "
    "created bigint NOT NULL, seen bigint NOT NULL, title text NOT NULL DEFAULT '', "
    "tz text NOT NULL DEFAULT '', avatar text NOT NULL DEFAULT '');"
    "CREATE TABLE sessions(id bigint PRIMARY KEY, hash text NOT NULL UNIQUE, "
    "user_id bigint NOT NULL, created bigint NOT NULL, seen bigint NOT NULL, "
    "expires bigint NOT NULL, agent text NOT NULL, addr text NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE invites(id bigint PRIMARY KEY, hash text NOT NULL UNIQUE, kind text NOT NULL, "
    "creator bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL, "
    "created bigint NOT NULL, expires bigint NOT NULL, uses bigint NOT NULL, "
    "max_uses bigint NOT NULL, revoked boolean NOT NULL)";
/* clang-format on */

/* Version 4: each user's notification level of a channel when it is not the default "all";
 * it goes with its channel's row like everything else naming it. */
static const char sql_create_v4[] =
    "CREATE TABLE notify(channel text COLLATE \"C\" NOT NULL "
    "REFERENCES channels(name) ON DELETE CASCADE, user_id bigint NOT NULL, "
    "level text NOT NULL, PRIMARY KEY (channel, user_id))";
/* Version 6 (the tables of a new schema get it too): messages.original, a msg's text as
 * first sent, kept by its first edit (an edit history's first row), and the index of pins. */
static const char sql_v6[] = "ALTER TABLE messages ADD COLUMN IF NOT EXISTS original text;"
                             "CREATE INDEX IF NOT EXISTS messages_pin ON messages(channel, seq) "
                             "WHERE kind IN ('pin', 'unpin')";
/* Version 7 (the tables of a new schema get it too): messages.app, the integration that
 * posted a message, and hooks, the incoming webhooks (store_hook_t). A hook names its
 * channel without referencing it: it outlives the channel's row, and posts nowhere then. */
static const char sql_v7[] =
    "ALTER TABLE messages ADD COLUMN IF NOT EXISTS app text NOT NULL DEFAULT '';"
    "CREATE TABLE IF NOT EXISTS hooks(id bigint PRIMARY KEY, hash text NOT NULL UNIQUE, "
    "channel text NOT NULL, name text NOT NULL, creator bigint NOT NULL, "
    "created bigint NOT NULL, revoked boolean NOT NULL)";
/* Version 8 (a new schema's tables get it too): users.bot, an account that is a bot (its
 * credential a token an admin hands out, never a password). */
static const char sql_v8[] = "ALTER TABLE users ADD COLUMN IF NOT EXISTS bot boolean NOT NULL "
                             "DEFAULT false";
/* Version 9: parley_words' ASCII path (PARLEY_WORDS). A new schema makes the function so,
 * first: sql_create_v1's index needs it. */
static const char sql_v9[] = "CREATE OR REPLACE FUNCTION " PARLEY_WORDS;

/* The table names parley uses: a schema holding any of them without meta is not parley's. */
#define PG_TABLES                                                                                  \
    "'meta', 'channels', 'messages', 'members', 'reads', 'mentions', 'users', "                    \
    "'sessions', 'invites', 'notify', 'hooks'"

/* Names the channel's row into being if nothing did yet (see the top of the file). */
#define CHANNEL_ROW "WITH c AS (INSERT INTO channels(name) VALUES ($1) ON CONFLICT DO NOTHING) "

/* What an append does, in one statement, so that a batch's appends need no answer before
 * its commit. $1 channel, $2 seq (0: the channel's next, deduped by $9), $3 user, $4 text,
 * $5 ts, $6 kind, $7 thread, $8 target, $9 cid (NULL: none), $10 guest, $11 user_id, $12
 * the ids a msg mentions (NULL: none), $13 the files a msg carries ("" none), $14 the app
 * that posted it ("" none). Answers the
 * event's seq, and whether it was a duplicate (then nothing is written). The channel's row is
 * locked (PW_LOCK) before the batch's first append, so no other process appends to the
 * channel in between.
 * - ch: the channel's row, if nothing named the channel yet. Its last_seq is not touched
 *   here but once per channel and transaction, by PW_SEQS before the commit: raising it per
 *   append would chain a version of the row per append inside one transaction, and each
 *   append walks the chain (quadratic in the batch).
 * - dup: seq 0 with a key its author already used in the channel: the lowest seq of it.
 * - live: whether an edit's target is a message still there; an edit of a deleted one keeps
 *   no text (as SQLite's blank), and neither does the target.
 * - ins: the event; seq 0 takes the channel's next, after its last_seq and after what this
 *   transaction stored already (the newest seq, one step down the primary key). A given seq
 *   is stored as it is, key and all (store.h: no dedupe).
 * - edited, deleted, unmention: what an edit and a delete do to their target (and a delete
 *   to the edits of it and its mentions); mention: who a msg mentions. */
#define APPEND_SQL                                                                                 \
    "WITH ch AS (INSERT INTO channels(name) VALUES ($1::text) ON CONFLICT DO NOTHING), "           \
    "dup AS (SELECT seq FROM messages WHERE $2::bigint = 0 AND channel = $1 "                      \
    "AND user_id = $11::bigint AND cid = $9::text ORDER BY seq LIMIT 1), "                         \
    "live AS (SELECT $6::text <> 'edit' OR EXISTS (SELECT FROM messages WHERE channel = $1 "       \
    "AND seq = $8::bigint AND kind = 'msg' AND NOT deleted) AS ok), "                              \
    "ins AS (INSERT INTO messages(channel, seq, author, text, ts, kind, thread, target, cid, "     \
    "guest, user_id, files, app) SELECT $1, CASE WHEN $2 > 0 THEN $2 ELSE "                        \
    "coalesce(greatest((SELECT "                                                                   \
    "last_seq FROM channels WHERE name = $1), (SELECT max(seq) FROM messages WHERE "               \
    "channel = $1)), 0) + 1 END, $3::text, CASE WHEN live.ok THEN $4::text ELSE '' END, "          \
    "$5::bigint, $6, $7::bigint, $8, $9, $10::boolean, $11, $13::text, $14::text "                 \
    "FROM live WHERE NOT EXISTS (SELECT FROM dup) RETURNING seq), "                                \
    "edited AS (UPDATE messages SET original = CASE WHEN NOT edited THEN text ELSE original "      \
    "END, text = $4, edited = true WHERE $6 = 'edit' AND "                                         \
    "channel = $1 AND seq = $8 AND kind = 'msg' AND NOT deleted AND EXISTS (SELECT FROM ins)), "   \
    "deleted AS (UPDATE messages SET text = '', original = NULL, files = '', "                     \
    "deleted = (kind = 'msg'), "                                                                   \
    "edited = false "                                                                              \
    "WHERE $6 = 'delete' AND channel = $1 AND ((seq = $8 AND kind = 'msg') OR "                    \
    "(target = $8 AND kind = 'edit')) AND EXISTS (SELECT FROM ins)), "                             \
    "unmention AS (DELETE FROM mentions WHERE $6 = 'delete' AND channel = $1 AND seq = $8 "        \
    "AND EXISTS (SELECT FROM ins)), "                                                              \
    "mention AS (INSERT INTO mentions(user_id, channel, seq) SELECT DISTINCT u, $1, ins.seq "      \
    "FROM ins, unnest($12::bigint[]) u WHERE $6 = 'msg' ON CONFLICT DO NOTHING) "                  \
    "SELECT coalesce((SELECT seq FROM dup), (SELECT seq FROM ins)), EXISTS (SELECT FROM dup)"

/* APPEND_SQL for an event that changes no other row: any kind but edit and delete, and no
 * mention ($12 NULL). The same ch, dup and ins, without the CTEs that do nothing then: each
 * CTE that writes opens its table and every index of it (and builds their expressions) at
 * each execution, a third of an append's PostgreSQL CPU before this one, whether it writes
 * a row or not. $6 and $12 keep their types (every parameter must have one). */
#define APPEND_PLAIN_SQL                                                                           \
    "WITH ch AS (INSERT INTO channels(name) VALUES ($1::text) ON CONFLICT DO NOTHING), "           \
    "dup AS (SELECT seq FROM messages WHERE $2::bigint = 0 AND channel = $1 "                      \
    "AND user_id = $11::bigint AND cid = $9::text ORDER BY seq LIMIT 1), "                         \
    "ins AS (INSERT INTO messages(channel, seq, author, text, ts, kind, thread, target, cid, "     \
    "guest, user_id, files, app) SELECT $1, CASE WHEN $2 > 0 THEN $2 ELSE "                        \
    "coalesce(greatest((SELECT "                                                                   \
    "last_seq FROM channels WHERE name = $1), (SELECT max(seq) FROM messages WHERE "               \
    "channel = $1)), 0) + 1 END, $3::text, $4::text, $5::bigint, $6::text, $7::bigint, "           \
    "$8::bigint, $9, $10::boolean, $11, $13::text, $14::text "                                     \
    "WHERE NOT EXISTS (SELECT FROM dup) AND $6 NOT IN ('edit', 'delete') "                         \
    "AND $12::bigint[] IS NULL RETURNING seq) "                                                    \
    "SELECT coalesce((SELECT seq FROM dup), (SELECT seq FROM ins)), EXISTS (SELECT FROM dup)"

#define CHANNEL_INSERT                                                                             \
    "INSERT INTO channels AS c (name, kind, topic, created_by, creator_id, ts, archived, listed) " \
    "VALUES ($1, $2, $3, $4, $5, $6, $7, true) ON CONFLICT (name) DO UPDATE SET "

const char *const store_pg_sql_write[PW_COUNT] = {
    [PW_BEGIN] = "BEGIN",
    [PW_COMMIT] = "COMMIT",
    [PW_APPEND] = APPEND_SQL,
    [PW_APPEND_PLAIN] = APPEND_PLAIN_SQL,
    /* Before the transaction, on their own (committed at once): rows for the batch's
     * channels ($1, sorted and distinct) that nothing named yet. Made inside it, a new row
     * would be held until its commit, outside the lock order below, and two writers making
     * and locking rows at once could deadlock. */
    [PW_MAKE] = "INSERT INTO channels(name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
    /* Right after BEGIN: the batch's channels' rows, locked in name order. Every process
     * takes its rows in that one order, so two batches never deadlock on them. NO KEY
     * UPDATE leaves other transactions' KEY SHARE locks alone: a membership or read marker
     * of the channel (a reference to its row) is written meanwhile. */
    [PW_LOCK] = "SELECT name FROM channels WHERE name = ANY ($1::text[]) ORDER BY name "
                "FOR NO KEY UPDATE",
    /* Before each commit: the last_seq of every channel the transaction appended to ($1),
     * raised to its newest seq (one step down the primary key each). */
    [PW_SEQS] = "UPDATE channels c SET last_seq = m.top FROM (SELECT n.name, (SELECT max(seq) "
                "FROM messages WHERE channel = n.name) AS top FROM unnest($1::text[]) n(name)) m "
                "WHERE c.name = m.name AND m.top > c.last_seq",
    /* An update keeps who created a listed channel, and when. */
    [PW_CHANNEL_PUT] = CHANNEL_INSERT
    "kind = excluded.kind, topic = excluded.topic, archived = excluded.archived, "
    "created_by = CASE WHEN c.listed THEN c.created_by ELSE excluded.created_by END, "
    "creator_id = CASE WHEN c.listed THEN c.creator_id ELSE excluded.creator_id END, "
    "ts = CASE WHEN c.listed THEN c.ts ELSE excluded.ts END, listed = true",
    /* No row changed: the name is taken (STORE_ECONFLICT). */
    [PW_CHANNEL_CREATE] = CHANNEL_INSERT
    "kind = excluded.kind, topic = excluded.topic, created_by = excluded.created_by, "
    "creator_id = excluded.creator_id, ts = excluded.ts, archived = excluded.archived, "
    "listed = true WHERE NOT c.listed",
    [PW_CHANNEL_DELETE] = "DELETE FROM channels WHERE name = $1 AND listed",
    [PW_MEMBER_ADD] = CHANNEL_ROW "INSERT INTO members(channel, user_id, ts) VALUES ($1, $2, $3) "
                                  "ON CONFLICT DO NOTHING",
    [PW_MEMBER_REMOVE] = "DELETE FROM members WHERE channel = $1 AND user_id = $2",
    [PW_READ] = CHANNEL_ROW "INSERT INTO reads(channel, user_id, seq) VALUES ($1, $2, $3) "
                            "ON CONFLICT (channel, user_id) DO UPDATE SET "
                            "seq = greatest(reads.seq, excluded.seq)",
    [PW_NOTIFY_SET] = CHANNEL_ROW "INSERT INTO notify(channel, user_id, level) VALUES ($1, $2, $3) "
                                  "ON CONFLICT (channel, user_id) DO UPDATE SET "
                                  "level = excluded.level",
    [PW_NOTIFY_CLEAR] = "DELETE FROM notify WHERE channel = $1 AND user_id = $2",
    /* Answers whether it conflicted (an id or canon taken: nothing inserted, no bump). $10:
     * bump accounts_version. */
    [PW_USER_CREATE] =
        "WITH ins AS (INSERT INTO users(id, name, canon, display, role, pass, state, created, "
        "seen, title, tz, avatar, bot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $13, "
        "$14) "
        "ON CONFLICT DO NOTHING RETURNING 1), "
        "bump AS (UPDATE meta SET value = value + 1 WHERE key = 'accounts_version' AND "
        "$10::boolean AND EXISTS (SELECT FROM ins)) SELECT NOT EXISTS (SELECT FROM ins)",
    /* Conflicts when row $1 exists and another row has canon $3 (NULL never does). */
    [PW_USER_PUT] =
        "WITH c AS (SELECT EXISTS (SELECT FROM users WHERE id = $1::bigint) AND EXISTS (SELECT "
        "FROM users WHERE canon = $3::text AND id <> $1) AS conflict), "
        "up AS (UPDATE users SET name = $2, canon = $3, display = $4, role = $5, pass = $6, "
        "state = $7, created = $8, seen = $9, title = $11, tz = $12, avatar = $13, bot = $14 "
        "WHERE id = $1 "
        "AND NOT (SELECT conflict FROM c)), "
        "bump AS (UPDATE meta SET value = value + 1 WHERE key = 'accounts_version' AND "
        "$10::boolean AND NOT (SELECT conflict FROM c)) SELECT conflict FROM c",
    /* Upserts by id: a hash another row holds is a unique violation, so a failure. */
    [PW_SESSION_PUT] = "INSERT INTO sessions(id, hash, user_id, created, seen, expires, agent, "
                       "addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE "
                       "SET hash = excluded.hash, user_id = excluded.user_id, created = "
                       "excluded.created, seen = excluded.seen, expires = excluded.expires, "
                       "agent = excluded.agent, addr = excluded.addr",
    [PW_SESSION_DELETE] = "DELETE FROM sessions WHERE id = $1",
    [PW_SESSIONS_REVOKE] = "DELETE FROM sessions WHERE user_id = $1 AND id <> $2",
    [PW_INVITE_PUT] = "INSERT INTO invites(id, hash, kind, creator, user_id, role, created, "
                      "expires, uses, max_uses, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                      "$9, $10, $11) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, kind = "
                      "excluded.kind, creator = excluded.creator, user_id = excluded.user_id, "
                      "role = excluded.role, created = excluded.created, expires = "
                      "excluded.expires, uses = excluded.uses, max_uses = excluded.max_uses, "
                      "revoked = excluded.revoked",
    [PW_HOOK_PUT] = "INSERT INTO hooks(id, hash, channel, name, creator, created, revoked) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET hash = "
                    "excluded.hash, channel = excluded.channel, name = excluded.name, creator = "
                    "excluded.creator, created = excluded.created, revoked = excluded.revoked",
    [PW_ACCOUNTS_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'accounts_version'",
    [PW_PROBE] = "UPDATE meta SET value = value + 1 WHERE key = 'probe'",
};

/* The columns of store_db_search_shape, and what both searches filter and order by. */
#define SEARCH_COLS "seq, author, text, ts, channel, cid, guest::int, user_id, thread, edited::int"
#define SEARCH_FILTERS                                                                             \
    "($3::text IS NULL OR channel = $3) AND ($5::text[] IS NULL OR channel = ANY ($5)) AND "       \
    "ts >= $6::bigint AND ts < $7::bigint AND (ts, channel, seq) < ($8::bigint, $9::text, "        \
    "$10::bigint) ORDER BY ts DESC, channel DESC, seq DESC LIMIT $4"

/* The columns of store_db_msg_shape. */
#define MSG_COLS                                                                                   \
    "seq, author, text, ts, kind, thread, target, cid, guest::int, user_id, deleted::int, "        \
    "edited::int, files, app"

/* Every read is an index range: a page of the primary key, a thread's parent by key and its
 * replies on messages_thread, a search on messages_search, counts on the mentions key;
 * positions read the channels' rows. */
const char *const store_pg_sql_read[PR_COUNT] = {
    [PR_AFTER] = "SELECT " MSG_COLS " FROM messages WHERE channel = $1 AND seq > $2 "
                 "ORDER BY seq LIMIT $3",
    [PR_BEFORE] = "SELECT " MSG_COLS " FROM messages WHERE channel = $1 AND seq < $2 "
                  "ORDER BY seq DESC LIMIT $3",
    [PR_NEWEST] = "SELECT " MSG_COLS " FROM messages WHERE channel = $1 "
                  "ORDER BY seq DESC LIMIT $2",
    [PR_THREAD] = "SELECT " MSG_COLS " FROM messages WHERE channel = $1 AND seq = $2 "
                  "UNION ALL (SELECT " MSG_COLS " FROM messages WHERE channel = $1 AND "
                  "thread = $2 AND thread > 0 AND kind = 'msg' ORDER BY seq LIMIT $3) "
                  "ORDER BY seq LIMIT $3",
    [PR_REPLIES] = "SELECT thread, count(*), max(seq), max(ts) FROM messages WHERE channel = $1 "
                   "AND thread > 0 AND thread BETWEEN $2 AND $3 AND kind = 'msg' GROUP BY thread",
    /* $1 the terms, $2 the author's name (NULL: anyone), $3 one channel (NULL: any), $4 the
     * limit, $5 the channels allowed (NULL: all), $6 and $7 the bounds of ts (since, until),
     * ($8, $9, $10) the page cursor (ts, channel, seq), the ends of bigint when absent.
     * Newest first. */
    [PR_SEARCH] =
        "SELECT " SEARCH_COLS " FROM messages WHERE kind = 'msg' AND "
        "to_tsvector('simple', parley_words(text)) @@ "
        "(SELECT parley_all(phraseto_tsquery('simple', parley_words(t))) "
        "FROM unnest($1::text[]) t) AND ($2::text IS NULL OR author = $2) AND " SEARCH_FILTERS,
    /* `from:` without words: the author's messages backwards on messages_author; $1 is
     * always NULL (named so that every parameter has a type). */
    [PR_SEARCH_FROM] = "SELECT " SEARCH_COLS " FROM messages WHERE $1::text[] IS NULL AND "
                       "kind = 'msg' AND NOT deleted AND author = $2 AND " SEARCH_FILTERS,
    /* 0 is STORE_MENTION_ALL: @channel and @here count for everyone. */
    [PR_MENTION_COUNT] =
        "SELECT m.channel, m.seq FROM mentions m WHERE m.user_id IN ($1, 0) AND m.seq > "
        "coalesce((SELECT r.seq FROM reads r WHERE r.channel = m.channel AND r.user_id = $1), 0) "
        "GROUP BY m.channel, m.seq ORDER BY m.channel, m.seq LIMIT " STR(STORE_MENTIONS_MAX),
    /* The channels' rows carry their positions (last_seq, raised at each commit): no event is
     * read. A deleted channel's row is gone; an unlisted one (#general) counts like any
     * other. One row beyond the bound, to learn `more`. */
    [PR_POSITIONS] = "SELECT name, last_seq FROM channels WHERE last_seq > 0 ORDER BY name "
                     "LIMIT " STR(STORE_POSITIONS_MAX) " + 1",
    /* A channel's pinned messages, each by the primary key ($2: a bigint[] literal). */
    [PR_SEQS] = "SELECT " MSG_COLS " FROM messages WHERE channel = $1 AND seq = ANY($2::bigint[]) "
                "AND kind = 'msg' ORDER BY seq LIMIT $3",
    /* A msg's edit history: the msg by key (its first text), its edits on messages_edit. */
    [PR_EDITS] =
        "SELECT seq, author, CASE WHEN original IS NOT NULL THEN original WHEN edited "
        "THEN '' ELSE text END, ts, kind, thread, target, cid, guest::int, user_id, "
        "deleted::int, edited::int, files, app FROM messages WHERE channel = $1 AND seq = $2 "
        "AND kind = 'msg' UNION ALL (SELECT " MSG_COLS " FROM messages WHERE "
        "channel = $1 AND target = $2 AND kind = 'edit' ORDER BY seq LIMIT $3) "
        "ORDER BY seq LIMIT $3",
};

const char *const store_pg_sql_loop[PL_COUNT] = {
    [PL_LAST_SEQ] = "SELECT coalesce((SELECT last_seq FROM channels WHERE name = $1), 0)",
    [PL_ACCOUNTS_VERSION] = "SELECT value FROM meta WHERE key = 'accounts_version'",
};

/* Only the listed channels (see the top of the file); store_db has the other load parts. */
const char store_pg_sql_channels[] =
    "SELECT name, kind, topic, created_by, creator_id, ts, archived::int FROM channels "
    "WHERE listed ORDER BY name";

/* Runs sql on c (outside a pipeline); 0 and *out (NULL: not wanted) when it answered `want`,
 * else STORE_EFAILED after logging. */
static int run(store_pg_t *s, store_pg_conn_t *c, const char *sql, ExecStatusType want,
               PGresult **out)
{
    PGresult *res = PQexec(c->pg, sql);
    if (PQresultStatus(res) != want) {
        char why[PG_WHY_MAX];
        log_error("store: %s: preparing the schema: %s", s->where, store_pg_why(c, res, why));
        PQclear(res);
        return STORE_EFAILED;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

/* Inside the schema lock: creates the tables when the schema has none of parley's, or checks
 * the version of those there. */
static int check_or_create(store_pg_t *s, store_pg_conn_t *c)
{
    PGresult *res;
    if (run(s, c,
            "SELECT current_schema(), count(*) FILTER (WHERE relname = 'meta'), count(*) FROM "
            "pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = "
            "current_schema()) AND relkind IN ('r', 'p', 'v') AND relname IN (" PG_TABLES ")",
            PGRES_TUPLES_OK, &res) < 0)
        return STORE_EFAILED;
    int rc = 0;
    bool meta = atoi(PQgetvalue(res, 0, 1)) > 0;
    if (PQgetisnull(res, 0, 0)) {
        log_error("store: %s: no schema of search_path exists to create parley's tables in",
                  s->where);
        rc = STORE_EFAILED;
    } else if (!meta && atoi(PQgetvalue(res, 0, 2)) > 0) {
        log_error("store: %s: schema %s has tables named like parley's but no meta table: it is "
                  "not parley's",
                  s->where, PQgetvalue(res, 0, 0));
        rc = STORE_EFAILED;
    } else if (!meta) {
        log_info("store: %s: creating parley's tables in schema %s", s->where,
                 PQgetvalue(res, 0, 0));
        rc = run(s, c, sql_v9, PGRES_COMMAND_OK, NULL);
        if (rc == 0)
            rc = run(s, c, sql_create_v1, PGRES_COMMAND_OK, NULL);
        if (rc == 0)
            rc = run(s, c, sql_create_v4, PGRES_COMMAND_OK, NULL);
        if (rc == 0)
            rc = run(s, c, sql_v6, PGRES_COMMAND_OK, NULL);
        if (rc == 0)
            rc = run(s, c, sql_v7, PGRES_COMMAND_OK, NULL);
        if (rc == 0)
            rc = run(s, c, sql_v8, PGRES_COMMAND_OK, NULL);
    }
    PQclear(res);
    if (rc < 0 || !meta)
        return rc;
    if (run(s, c, "SELECT value FROM meta WHERE key = 'schema_version'", PGRES_TUPLES_OK, &res) < 0)
        return STORE_EFAILED;
    long long version = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    if (version == 1) { /* version 2: messages_author, for a search by author alone */
        log_info("store: %s: adding the index of authors (schema version 2)", s->where);
        if (run(s, c,
                "CREATE INDEX IF NOT EXISTS messages_author ON messages(author, ts, channel, seq) "
                "WHERE kind = 'msg'; UPDATE meta SET value = 2 WHERE key = 'schema_version'",
                PGRES_COMMAND_OK, NULL) < 0)
            return STORE_EFAILED;
        version = 2;
    }
    /* Version 3: messages.files (store_msg_t.files). */
    if (version == 2 && run(s, c,
                            "ALTER TABLE messages ADD COLUMN files text NOT NULL DEFAULT '';"
                            "UPDATE meta SET value = 3 WHERE key = 'schema_version'",
                            PGRES_COMMAND_OK, NULL) == 0)
        version = 3;
    if (version == 3 && run(s, c, sql_create_v4, PGRES_COMMAND_OK, NULL) == 0 &&
        run(s, c, "UPDATE meta SET value = 4 WHERE key = 'schema_version'", PGRES_COMMAND_OK,
            NULL) == 0)
        version = 4;
    /* Version 5: the profile of users (store_user_t title, tz, avatar). */
    if (version == 4 &&
        run(s, c,
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS title text NOT NULL DEFAULT '';"
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS tz text NOT NULL DEFAULT '';"
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS avatar text NOT NULL DEFAULT '';"
            "UPDATE meta SET value = 5 WHERE key = 'schema_version'",
            PGRES_COMMAND_OK, NULL) == 0)
        version = 5;
    /* Version 6: sql_v6. */
    if (version == 5 && run(s, c, sql_v6, PGRES_COMMAND_OK, NULL) == 0 &&
        run(s, c, "UPDATE meta SET value = 6 WHERE key = 'schema_version'", PGRES_COMMAND_OK,
            NULL) == 0)
        version = 6;
    /* Version 7: sql_v7. */
    if (version == 6 && run(s, c, sql_v7, PGRES_COMMAND_OK, NULL) == 0 &&
        run(s, c, "UPDATE meta SET value = 7 WHERE key = 'schema_version'", PGRES_COMMAND_OK,
            NULL) == 0)
        version = 7;
    /* Version 8: sql_v8. */
    if (version == 7 && run(s, c, sql_v8, PGRES_COMMAND_OK, NULL) == 0 &&
        run(s, c, "UPDATE meta SET value = 8 WHERE key = 'schema_version'", PGRES_COMMAND_OK,
            NULL) == 0)
        version = 8;
    /* Version 9: sql_v9. */
    if (version == 8 && run(s, c, sql_v9, PGRES_COMMAND_OK, NULL) == 0 &&
        run(s, c, "UPDATE meta SET value = 9 WHERE key = 'schema_version'", PGRES_COMMAND_OK,
            NULL) == 0)
        version = 9;
    if (version > PG_SCHEMA_VERSION) {
        log_error("store: %s was written by a newer parley (schema version %lld; this parley "
                  "knows up to %d): refusing to open it. Run that newer parley, or restore the "
                  "dump taken before the upgrade (docs/backups.md)",
                  s->where, version, PG_SCHEMA_VERSION);
        return STORE_EFAILED;
    }
    if (version != PG_SCHEMA_VERSION) {
        log_error("store: %s has schema version %lld; this parley knows up to %d", s->where,
                  version, PG_SCHEMA_VERSION);
        return STORE_EFAILED;
    }
    return 0;
}

int store_pg_schema_init(store_pg_t *s, store_pg_conn_t *c)
{
    /* The lock (a constant key, "parley" in ASCII) holds until the transaction ends, so that
     * of several processes starting on an empty database one creates the tables and the
     * others find them. */
    if (run(s, c, "BEGIN", PGRES_COMMAND_OK, NULL) < 0)
        return STORE_EFAILED;
    int rc = run(s, c, "SELECT pg_advisory_xact_lock(112969437586041)", PGRES_TUPLES_OK, NULL);
    if (rc == 0)
        rc = check_or_create(s, c);
    if (rc == 0)
        rc = run(s, c, "COMMIT", PGRES_COMMAND_OK, NULL);
    if (rc < 0)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    return rc;
}
