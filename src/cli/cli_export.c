/* cli_export - `parley export`; see cli_export.h.
 *
 * Everything is gathered as jansson values, then written: store_load gives the channels,
 * memberships and reaction events (folded into each message's final set: the last event of
 * a (message, emoji, user) wins), then each channel's events are read forward page by page
 * and turned into Slack messages, the edits and thread replies folded onto their targets. */
#include "cli/cli_export.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "cli/slack_text.h"
#include "cli/slack_zip.h"
#include "store/store_open.h"

#define PAGE 1000

typedef struct {
    uv_loop_t loop;
    store_t *store;
    auth_t *auth;
    json_t *chans;   /* name -> {row fields, "members": [ids], "reactions": {seq: {emoji:
                        {uid: on}}}} */
    json_t *msgs;    /* the channel being read: [message objects] in seq order */
    json_t *by_seq;  /* its seq -> message object */
    json_t *used_ts; /* its ts strings taken */
    json_t *names;   /* user name -> "U<id>", for mentions */
    const char *public_url;
    json_t *reactions; /* its reaction state (borrowed from chans) */
    uint64_t after;
    bool more, failed;
    int pending;
} exp_t;

void cli_export_usage(FILE *f)
{
    fprintf(f, "usage: parley export OUT.zip [--db PATH | --store URL] [--public-url URL]\n"
               "Writes every channel, direct message, thread, reaction and user (without any\n"
               "secret) as a Slack-format export; `parley import slack` reads it back.\n");
}

static void uid_str(uint64_t id, char out[24])
{
    snprintf(out, 24, "U%llu", (unsigned long long)id);
}

/* ---- store_load ---- */

static json_t *chan_of(exp_t *x, const char *name)
{
    json_t *c = json_object_get(x->chans, name);
    if (!c) {
        c = json_pack("{s:s, s:[], s:{}}", "name", name, "members", "reactions");
        json_object_set_new(x->chans, name, c);
    }
    return c;
}

static void on_channel(void *ctx, const store_channel_t *c)
{
    json_t *o = chan_of(ctx, c->name);
    json_object_set_new(o, "kind", json_string(c->kind));
    json_object_set_new(o, "topic", json_string(c->topic ? c->topic : ""));
    json_object_set_new(o, "creator", json_integer((json_int_t)c->creator_id));
    json_object_set_new(o, "ts", json_integer(c->ts));
    json_object_set_new(o, "archived", json_boolean(c->archived));
}

static void on_member(void *ctx, const char *channel, uint64_t user_id)
{
    char id[24];
    uid_str(user_id, id);
    json_array_append_new(json_object_get(chan_of(ctx, channel), "members"), json_string(id));
}

static void on_reaction(void *ctx, const char *channel, uint64_t target, uint64_t user_id,
                        const char *emoji, bool on)
{
    if (!user_id)
        return; /* nobody's: Slack names a reactor */
    json_t *all = json_object_get(chan_of(ctx, channel), "reactions");
    char seq[24], id[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)target);
    uid_str(user_id, id);
    json_t *t = json_object_get(all, seq);
    if (!t)
        json_object_set_new(all, seq, t = json_object());
    json_t *e = json_object_get(t, emoji);
    if (!e)
        json_object_set_new(t, emoji, e = json_object());
    json_object_del(e, id); /* re-added last: the users in the order of their last event */
    json_object_set_new(e, id, json_boolean(on));
}

/* ---- users ---- */

static json_t *users_json(exp_t *x)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < auth_nusers(x->auth); i++) {
        const auth_user_t *u = auth_user_at(x->auth, i);
        char id[24];
        uid_str(u->id, id);
        json_object_set_new(x->names, u->name, json_string(id));
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:s, s:{s:s, s:s, s:s}}", "id", id,
                      "name", u->name, "real_name", u->display, "deleted", u->state != AUTH_ACTIVE,
                      "is_admin", u->role >= AUTH_ADMIN, "is_owner", u->role == AUTH_OWNER,
                      "is_restricted", u->role == AUTH_GUEST, "tz", u->tz, "profile",
                      "display_name", u->display, "real_name", u->display, "title", u->title));
    }
    return arr;
}

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c >= 0x80;
}

/* The longest user name s starts with that ends before a non-word byte (names are at most
 * 256 bytes): one lookup per such end. */
static const char *mention_of(void *ctx, const char *s, size_t len, size_t *matched)
{
    const exp_t *x = ctx;
    const char *id = NULL;
    *matched = 0;
    for (size_t j = 1; j <= len && j <= 256; j++) {
        if (j < len && word_byte((unsigned char)s[j]))
            continue;
        const json_t *v = json_object_getn(x->names, s, j);
        if (v) {
            id = json_string_value(v);
            *matched = j;
        }
    }
    return id;
}

/* ---- messages ---- */

/* A row's Slack ts: the one it was imported with (its key "s<sec>_<micro>"), else its
 * time with the seq in the microseconds, made unique in the channel. */
static void ts_of(exp_t *x, const store_msg_t *m, char out[32])
{
    const char *cid = m->cid ? m->cid : "";
    const char *us = strchr(cid, '_');
    if (cid[0] == 's' && us && strlen(us + 1) == 6 && us - cid > 1 && us - cid <= 13)
        snprintf(out, 32, "%.*s.%s", (int)(us - cid - 1), cid + 1, us + 1);
    else
        snprintf(out, 32, "%lld.%03lld%03llu", (long long)(m->ts / 1000), (long long)(m->ts % 1000),
                 (unsigned long long)(m->seq % 1000));
    while (json_object_get(x->used_ts, out)) { /* taken: the next microsecond */
        size_t n = strlen(out);
        long long us6 = (atoll(out + n - 6) + 1) % 1000000;
        for (size_t i = 0; i < 6; i++, us6 /= 10)
            out[n - 1 - i] = (char)('0' + us6 % 10);
    }
    json_object_set_new(x->used_ts, out, json_true());
}

/* A file's URL: the server's path after public (none: the path as it is). */
static json_t *file_url(const char *public, const json_t *path)
{
    const char *p = json_string_value(path);
    if (!p || !public || !*public)
        return json_incref((json_t *)path);
    size_t n = strlen(public);
    return json_sprintf("%.*s%s", (int)(n && public[n - 1] == '/' ? n - 1 : n), public, p);
}

static json_t *files_of(const char *files, const char *public)
{
    json_t *in = files && *files ? json_loads(files, 0, NULL) : NULL, *out = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(in, i, f)
    {
        json_t *o = json_object();
        json_object_set(o, "id", json_object_get(f, "id"));
        json_object_set(o, "name", json_object_get(f, "name"));
        json_object_set(o, "mimetype", json_object_get(f, "type"));
        json_object_set(o, "size", json_object_get(f, "size"));
        json_object_set_new(o, "url_private", file_url(public, json_object_get(f, "url")));
        json_object_set_new(o, "permalink", file_url(public, json_object_get(f, "url")));
        json_array_append_new(out, o);
    }
    json_decref(in);
    return out;
}

static json_t *by_seq(exp_t *x, uint64_t seq)
{
    char k[24];
    snprintf(k, sizeof(k), "%llu", (unsigned long long)seq);
    return json_object_get(x->by_seq, k);
}

/* An edit: the target's edited {user, ts} (its text is already the latest). */
static void fold_edit(exp_t *x, const store_msg_t *m, const char *ts)
{
    json_t *t = by_seq(x, m->target);
    char id[24];
    uid_str(m->user_id, id);
    if (t)
        json_object_set_new(t, "edited", json_pack("{s:s, s:s}", "user", id, "ts", ts));
}

/* A reply: the parent's thread fields. */
static void fold_reply(exp_t *x, json_t *o, uint64_t parent)
{
    json_t *p = by_seq(x, parent);
    if (!p)
        return;
    json_t *pts = json_object_get(p, "ts");
    json_object_set(p, "thread_ts", pts);
    json_object_set(o, "thread_ts", pts);
    json_t *replies = json_object_get(p, "replies");
    if (!replies)
        json_object_set_new(p, "replies", replies = json_array());
    json_array_append_new(replies, json_pack("{s:O, s:O}", "user", json_object_get(o, "user"), "ts",
                                             json_object_get(o, "ts")));
    json_object_set_new(p, "reply_count", json_integer((json_int_t)json_array_size(replies)));
}

static json_t *line_of(const store_msg_t *m, const char *id)
{
    bool topic = strcmp(m->kind, "topic") == 0;
    buf_t b = BUF_INIT;
    if (topic)
        buf_appendf(&b, "set the channel topic: %s", m->text);
    else
        buf_appendf(&b, "<@%s> has %s the channel", id,
                    strcmp(m->kind, "joined") == 0 ? "joined" : "left");
    json_t *o = json_pack("{s:s, s:s, s:s}", "type", "message", "subtype",
                          topic                            ? "channel_topic"
                          : strcmp(m->kind, "joined") == 0 ? "channel_join"
                                                           : "channel_leave",
                          "text", b.data);
    if (topic)
        json_object_set_new(o, "topic", json_string(m->text));
    buf_deinit(&b);
    return o;
}

/* One stored event of the channel being read. */
static void take_row(exp_t *x, const store_msg_t *m)
{
    const char *kind = m->kind ? m->kind : "msg";
    char ts[32], id[24];
    bool line =
        strcmp(kind, "joined") == 0 || strcmp(kind, "left") == 0 || strcmp(kind, "topic") == 0;
    if ((strcmp(kind, "msg") != 0 && strcmp(kind, "edit") != 0 && !line) || m->deleted)
        return;
    ts_of(x, m, ts);
    uid_str(line && strcmp(kind, "topic") != 0 ? m->target : m->user_id, id);
    if (strcmp(kind, "edit") == 0) {
        fold_edit(x, m, ts);
        return;
    }
    json_t *o;
    if (line) {
        o = line_of(m, id);
    } else {
        char *text = slack_text_export(m->text, mention_of, x);
        o = json_pack("{s:s, s:s}", "type", "message", "text", text);
        free(text);
        json_t *files = files_of(m->files, x->public_url);
        if (json_array_size(files))
            json_object_set(o, "files", files);
        json_decref(files);
    }
    json_object_set_new(o, "ts", json_string(ts));
    if (m->user_id) {
        json_object_set_new(o, "user", json_string(id));
    } else {
        json_object_set_new(o, "subtype", json_string("bot_message"));
        json_object_set_new(o, "username", json_string(m->user));
    }
    char k[24];
    snprintf(k, sizeof(k), "%llu", (unsigned long long)m->seq);
    json_object_set(x->by_seq, k, o);
    if (m->thread)
        fold_reply(x, o, m->thread);
    json_array_append_new(x->msgs, o);
}

static void on_rows(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    exp_t *x = ctx;
    x->pending--;
    x->more = more;
    if (status != 0) {
        x->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        take_row(x, &msgs[i]);
    if (n)
        x->after = msgs[n - 1].seq;
}

/* Each message's final reactions, [{name, users, count}]. */
static void put_reactions(exp_t *x)
{
    const char *seq;
    json_t *emojis;
    json_object_foreach(x->reactions, seq, emojis)
    {
        json_t *o = json_object_get(x->by_seq, seq), *list = json_array();
        const char *emoji;
        json_t *users;
        json_object_foreach(emojis, emoji, users)
        {
            json_t *on = json_array();
            const char *uid;
            json_t *v;
            json_object_foreach(users, uid, v)
            {
                if (json_is_true(v))
                    json_array_append_new(on, json_string(uid));
            }
            char name[80];
            if (json_array_size(on) && slack_emoji_export(emoji, name, sizeof(name)))
                json_array_append_new(list, json_pack("{s:s, s:O, s:I}", "name", name, "users", on,
                                                      "count", (json_int_t)json_array_size(on)));
            json_decref(on);
        }
        if (o && json_array_size(list))
            json_object_set(o, "reactions", list);
        json_decref(list);
    }
}

/* The channel's events, read forward, into x->msgs. 0 or -1. */
static int read_channel(exp_t *x, const char *name, json_t *c)
{
    json_array_clear(x->msgs);
    json_object_clear(x->by_seq);
    json_object_clear(x->used_ts);
    x->reactions = json_object_get(c, "reactions");
    x->after = 0;
    do {
        store_query_t q = {.channel = name, .after = x->after, .forward = true, .limit = PAGE};
        x->pending++;
        x->more = false;
        if (store_query(x->store, &q, on_rows, x) != 0) {
            x->pending--;
            x->failed = true;
        }
        while (x->pending > 0 && uv_run(&x->loop, UV_RUN_ONCE) != 0)
            ;
    } while (!x->failed && x->more);
    put_reactions(x);
    return x->failed || x->pending ? -1 : 0;
}

/* The messages of x->msgs into FOLDER/YYYY-MM-DD.json files. */
static int write_days(exp_t *x, slack_zip_out_t *out, const char *folder, char *err, size_t cap)
{
    json_t *days = json_object();
    size_t i;
    json_t *m;
    json_array_foreach(x->msgs, i, m)
    {
        time_t t = (time_t)atoll(json_string_value(json_object_get(m, "ts")));
        struct tm tm;
        char day[16] = "1970-01-01";
        if (gmtime_r(&t, &tm))
            strftime(day, sizeof(day), "%Y-%m-%d", &tm);
        json_t *arr = json_object_get(days, day);
        if (!arr)
            json_object_set_new(days, day, arr = json_array());
        json_array_append(arr, m);
    }
    int rc = 0;
    const char *day;
    json_t *arr;
    json_object_foreach(days, day, arr)
    {
        buf_t path = BUF_INIT;
        buf_appendf(&path, "%s/%s.json", folder, day);
        if (rc == 0)
            rc = slack_zip_add(out, path.data, arr, err, cap);
        buf_deinit(&path);
    }
    json_decref(days);
    return rc;
}

/* A conversation's Slack id: a letter and a hash of its name. */
static void conv_id(char letter, const char *name, char out[16])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(h, (const unsigned char *)name, strlen(name));
    sodium_bin2hex(hex, sizeof(hex), h, 5);
    out[0] = letter;
    for (int i = 0; i < 10; i++)
        out[1 + i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
    out[11] = '\0';
}

/* The members' names joined Slack's way: "mpdm-a--b--c-1". */
static char *mpim_name(const exp_t *x, const json_t *members)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "mpdm-");
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m)
    {
        const auth_user_t *u = auth_user(x->auth, strtoull(json_string_value(m) + 1, NULL, 10));
        buf_appendf(&b, "%s%s", i ? "--" : "", u ? u->name : json_string_value(m));
    }
    buf_append_str(&b, "-1");
    return buf_steal(&b, NULL);
}

/* One channel: its entry in its list (lists: channels, groups, dms, mpims) and its days. */
static int export_channel(exp_t *x, slack_zip_out_t *out, const char *name, json_t *c,
                          json_t *lists[4], char *err, size_t cap)
{
    const char *kind = json_string_value(json_object_get(c, "kind"));
    json_t *members = json_object_get(c, "members");
    if (!kind)
        return 0; /* reactions or members of no stored channel */
    int which = strcmp(kind, "public") == 0    ? 0
                : strcmp(kind, "private") == 0 ? 1
                : json_array_size(members) > 2 ? 3
                                               : 2;
    char id[16], creator[24];
    conv_id("CGDG"[which], name, id);
    uint64_t by = (uint64_t)json_integer_value(json_object_get(c, "creator"));
    uid_str(by, creator);
    if (!by)
        creator[0] = '\0'; /* nobody: Slack's "" */
    char *folder = which == 3 ? mpim_name(x, members) : xstrdup(which == 2 ? id : name);
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:s, s:b, s:b, s:O, s:{s:s, s:s, s:i}, s:{s:s}}", "id", id,
                  "name", folder, "created", json_integer_value(json_object_get(c, "ts")) / 1000,
                  "creator", creator, "is_archived", json_is_true(json_object_get(c, "archived")),
                  "is_general", strcmp(name, "general") == 0, "members", members, "topic", "value",
                  json_string_value(json_object_get(c, "topic")), "creator", "", "last_set", 0,
                  "purpose", "value", "");
    if (which == 2)
        json_object_del(o, "name");
    json_array_append_new(lists[which], o);
    int rc = read_channel(x, name, c);
    if (rc < 0)
        snprintf(err, cap, "channel %s: cannot be read from the store", name);
    else
        rc = write_days(x, out, folder, err, cap);
    free(folder);
    return rc;
}

static int export_all(exp_t *x, const char *path)
{
    char err[512] = "";
    slack_zip_out_t *out = slack_zip_create(path, err, sizeof(err));
    if (!out) {
        fprintf(stderr, "parley: export: %s\n", err);
        return 1;
    }
    json_t *lists[4] = {json_array(), json_array(), json_array(), json_array()};
    static const char *files[4] = {"channels.json", "groups.json", "dms.json", "mpims.json"};
    /* general's members are everyone when none are stored (it holds every account) */
    json_t *general = chan_of(x, "general"), *users = users_json(x);
    if (!json_object_get(general, "kind"))
        on_channel(x, &(store_channel_t){.name = "general", .kind = "public", .topic = ""});
    if (!json_array_size(json_object_get(general, "members"))) {
        size_t i;
        json_t *u;
        json_array_foreach(users, i, u)
        {
            if (!json_is_true(json_object_get(u, "is_restricted")))
                json_array_append(json_object_get(general, "members"), json_object_get(u, "id"));
        }
    }
    int rc = slack_zip_add(out, "users.json", users, err, sizeof(err));
    const char *name;
    json_t *c;
    size_t nchan = 0, nmsg = 0;
    json_object_foreach(x->chans, name, c)
    {
        if (rc == 0)
            rc = export_channel(x, out, name, c, lists, err, sizeof(err));
        nchan += rc == 0 && json_object_get(c, "kind");
        nmsg += json_array_size(x->msgs);
    }
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = slack_zip_add(out, files[i], lists[i], err, sizeof(err));
    for (int i = 0; i < 4; i++)
        json_decref(lists[i]);
    json_decref(users);
    if (slack_zip_finish(out, rc == 0, err, sizeof(err)) < 0 || rc < 0) {
        fprintf(stderr, "parley: export: %s (nothing written)\n", err);
        return 1;
    }
    printf("exported %zu users, %zu conversations, %zu messages to %s\n", auth_nusers(x->auth),
           nchan, nmsg, path);
    return 0;
}

int cli_export_run(const cli_export_t *c)
{
    exp_t x = {.chans = json_object(),
               .msgs = json_array(),
               .by_seq = json_object(),
               .used_ts = json_object(),
               .public_url = c->public_url,
               .names = json_object()};
    int rc = 1;
    if (uv_loop_init(&x.loop) != 0)
        goto free_json;
    if (store_open(&x.loop, c->store_url, &(store_open_opts_t){0}, &x.store) < 0)
        goto close_loop;
    x.auth = auth_new(&x.loop, x.store, &c->auth);
    store_load_t cbs = {.channel = on_channel, .member = on_member, .reaction = on_reaction};
    if (!x.auth || auth_load(x.auth) < 0 || store_load(x.store, &cbs, &x) < 0)
        fprintf(stderr, "parley: export: cannot read the store\n");
    else
        rc = export_all(&x, c->zip);
    store_close(x.store);
    uv_run(&x.loop, UV_RUN_DEFAULT);
    if (x.auth)
        auth_free(x.auth);
close_loop:
    (void)uv_loop_close(&x.loop);
free_json:
    json_decref(x.chans);
    json_decref(x.msgs);
    json_decref(x.by_seq);
    json_decref(x.used_ts);
    json_decref(x.names);
    return rc;
}
