/* cli_import - `parley import slack`; see cli_import.h.
 *
 * One loop of its own, like `parley user`: every store and auth call is submitted, then the
 * loop runs until the callbacks counted in `pending` came back. The archive stays open: it
 * was checked whole first, and each conversation's messages are read again when its turn
 * comes, so memory holds one conversation at a time. A conversation's writes
 * are one store group, so a failure leaves it all stored or none of it; the run stops at
 * the first failure, and running it again picks up where it stopped (the keys).
 *
 * Seqs: the import gives each event its seq (the channel's last stored seq, plus one per
 * event), so a thread reply, an edit or a reaction names its target's seq in the same
 * transaction. That is why no server may write the channel meanwhile. */
#include "cli/cli_import.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "auth/auth_name.h"
#include "base/buf.h"
#include "base/xmalloc.h"
#include "chat/chat_channel.h"
#include "cli/slack_read.h"
#include "cli/slack_text.h"
#include "store/store_open.h"

#define PAGE 1000 /* events per read of a channel's stored keys */

typedef struct {
    uv_loop_t loop;
    store_t *store;
    auth_t *auth;
    slack_export_t ex;
    slack_zip_t *zip; /* open until the end: each conversation's messages are read again */
    uint64_t *uid;    /* by ex.users index: the account */
    bool *fresh;      /* made by this import */
    json_t *channels; /* stored channel names -> true */
    json_t *keys;     /* the current channel's client keys -> seq */
    uint64_t last;    /* its last seq */
    uint64_t added;   /* events added to it */
    int pending;
    bool failed;
    bool more; /* a key page said there are more */
} imp_t;

void cli_import_usage(FILE *f)
{
    fprintf(f, "usage: parley import slack EXPORT.zip [--db PATH | --store URL]\n"
               "Imports a Slack workspace export (stop the server first); a second import of\n"
               "the same archive adds nothing. Prints a one-time link /#reset=TOKEN per new\n"
               "account (valid 24 hours; `parley user reset NAME` makes another).\n");
}

int cli_sqlite_in_use(const char *path)
{
    size_t n = strlen(path) + 5;
    char *shm = xmalloc(n);
    snprintf(shm, n, "%s-shm", path);
    int fd = open(shm, O_RDWR | O_CLOEXEC);
    free(shm);
    if (fd < 0)
        return 0;
    /* SQLite's unix VFS: every connection holds a read lock on byte 128 of the -shm file
     * (its "DMS" slot) while it has the database open; F_GETLK reports another process's. */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 128, .l_len = 1};
    int busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return busy;
}

static void wait_all(imp_t *im)
{
    while (im->pending > 0 && uv_run(&im->loop, UV_RUN_ONCE) != 0)
        ;
    if (im->pending > 0)
        im->failed = true; /* the loop ran out: nothing more will answer */
}

static void on_written(void *ctx, int status)
{
    imp_t *im = ctx;
    im->pending--;
    if (status != 0)
        im->failed = true;
}

static void on_appended(void *ctx, int status, uint64_t seq, bool duplicate)
{
    (void)seq;
    (void)duplicate;
    on_written(ctx, status);
}

/* ---- users ---- */

static size_t user_index(const imp_t *im, const char *id)
{
    const slack_user_t *u = slack_user_find(&im->ex, id);
    return u ? (size_t)(u - im->ex.users) : SIZE_MAX;
}

/* Every user's name is one parley takes, and not a guest's. 0 or -1 after a message. */
static int check_users(imp_t *im, const cli_import_t *c)
{
    for (size_t i = 0; i < im->ex.nusers; i++) {
        const char *name = im->ex.users[i].name;
        const auth_user_t *au = auth_user_named(im->auth, name, strlen(name));
        if (!auth_name_valid(name, strlen(name), c->auth.max_name)) {
            fprintf(stderr, "parley: import: user %s: '%s' is not a valid parley name\n",
                    im->ex.users[i].id, name);
            return -1;
        }
        if (au && au->role == AUTH_GUEST) {
            fprintf(stderr, "parley: import: user %s: a guest holds the name '%s' now\n",
                    im->ex.users[i].id, name);
            return -1;
        }
        if (au)
            im->uid[i] = au->id;
    }
    return 0;
}

typedef struct {
    imp_t *im;
    size_t i;
    auth_status_t status;
} made_t;

static void on_made(void *ctx, const auth_result_t *r)
{
    made_t *m = ctx;
    m->im->pending--;
    m->status = r->status;
    if (r->status == AUTH_OK && r->user)
        m->im->uid[m->i] = r->user->id;
}

/* The accounts no one holds yet, one at a time (each answer names its id). */
static int make_users(imp_t *im)
{
    for (size_t i = 0; i < im->ex.nusers; i++) {
        if (im->uid[i])
            continue;
        const slack_user_t *su = &im->ex.users[i];
        auth_register_t reg = {.name = su->name,
                               .name_len = strlen(su->name),
                               .display = su->display,
                               .role = su->admin ? AUTH_ADMIN : AUTH_MEMBER};
        made_t m = {.im = im, .i = i, .status = AUTH_E_UNAVAILABLE};
        im->pending++;
        auth_user_add(im->auth, &reg, on_made, &m);
        wait_all(im);
        if (m.status != AUTH_OK) {
            fprintf(stderr, "parley: import: user %s (%s): %s\n", su->id, su->name,
                    auth_status_text(m.status));
            return -1;
        }
        im->fresh[i] = true;
        if (su->deleted) { /* kept for its history, closed as Slack had it */
            im->pending++;
            auth_set_state(im->auth, NULL, im->uid[i], AUTH_DEACTIVATED, on_made, &m);
            wait_all(im);
            if (m.status != AUTH_OK) {
                fprintf(stderr, "parley: import: user %s (%s): cannot deactivate: %s\n", su->id,
                        su->name, auth_status_text(m.status));
                return -1;
            }
        }
    }
    return 0;
}

/* ---- names inside texts ---- */

static const char *user_name_of(void *ctx, const char *id, size_t len)
{
    const imp_t *im = ctx;
    const json_t *i = json_object_getn(im->ex.user_ix, id, len);
    return i ? im->ex.users[json_integer_value(i)].name : NULL;
}

static const char *channel_name_of(void *ctx, const char *id, size_t len)
{
    const slack_conv_t *c = slack_conv_find(&((const imp_t *)ctx)->ex, id, len);
    if (!c)
        return NULL;
    return c->general ? "general" : c->kind <= SLACK_PRIVATE ? c->name : NULL;
}

/* A message's text in parley's form (a bot's attachments' fallback texts when it has none),
 * its files as links after it (new string). */
static char *text_of(imp_t *im, const json_t *m)
{
    const char *raw = json_string_value(json_object_get(m, "text"));
    char *t = slack_text_import(raw ? raw : "", user_name_of, channel_name_of, im);
    buf_t b = BUF_INIT;
    buf_append_str(&b, t);
    free(t);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(m, "attachments"), i, f)
    { /* a bot's message may hold nothing but attachments: their fallback text */
        const char *alt = json_string_value(json_object_get(f, "fallback"));
        if (!alt)
            alt = json_string_value(json_object_get(f, "text"));
        if (!alt || (raw && *raw))
            continue;
        char *conv = slack_text_import(alt, user_name_of, channel_name_of, im);
        buf_appendf(&b, "%s%s", b.len ? "\n" : "", conv);
        free(conv);
    }
    json_array_foreach(json_object_get(m, "files"), i, f)
    {
        const char *url = json_string_value(json_object_get(f, "permalink"));
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!url)
            url = json_string_value(json_object_get(f, "url_private"));
        if (!url)
            continue;
        buf_appendf(&b, "%s%s%s%s", b.len ? "\n" : "", name ? name : "", name ? ": " : "", url);
    }
    buf_reserve(&b, 0);
    b.data[b.len] = '\0';
    return buf_steal(&b, NULL);
}

/* ---- one conversation ---- */

/* Its parley name into out and its kind. */
static const char *conv_name(const slack_conv_t *c, char out[CHAT_CHANNEL_MAX + 1])
{
    if (c->general) {
        snprintf(out, CHAT_CHANNEL_MAX + 1, "general");
        return "public";
    }
    if (c->kind == SLACK_DM || (c->kind == SLACK_MPIM && c->nmembers <= CHAT_DM_MAX)) {
        unsigned char h[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        buf_t key = BUF_INIT;
        buf_appendf(&key, "slack:%s", c->id);
        crypto_hash_sha256(h, (const unsigned char *)key.data, key.len);
        buf_deinit(&key);
        sodium_bin2hex(hex, sizeof(hex), h, 16);
        snprintf(out, CHAT_CHANNEL_MAX + 1, "dm-%s", hex);
        return "dm";
    }
    snprintf(out, CHAT_CHANNEL_MAX + 1, "%s", c->name);
    return c->kind == SLACK_PUBLIC ? "public" : "private";
}

static void on_keys(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    imp_t *im = ctx;
    im->pending--;
    im->more = more;
    if (status != 0) {
        im->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (msgs[i].cid && *msgs[i].cid)
            json_object_set_new(im->keys, msgs[i].cid, json_integer((json_int_t)msgs[i].seq));
    if (n)
        im->last = msgs[n - 1].seq;
}

/* The channel's stored client keys into im->keys, its last seq into im->last. */
static int read_keys(imp_t *im, const char *name)
{
    json_object_clear(im->keys);
    im->last = 0;
    do {
        store_query_t q = {.channel = name, .after = im->last, .forward = true, .limit = PAGE};
        im->pending++;
        im->more = false;
        if (store_query(im->store, &q, on_keys, im) != 0) {
            im->pending--;
            im->failed = true;
        }
        wait_all(im);
    } while (!im->failed && im->more);
    uint64_t last = 0;
    if (!im->failed && store_last_seq(im->store, name, &last) == 0 && last > im->last)
        im->last = last;
    return im->failed ? -1 : 0;
}

static uint64_t key_seq(const imp_t *im, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(im->keys, key));
}

/* Appends one event with the next seq under key (unless the key is stored): its seq. */
static uint64_t put(imp_t *im, store_msg_t *e, const char *key)
{
    uint64_t have = key_seq(im, key);
    if (have)
        return have;
    e->seq = ++im->last;
    e->cid = key;
    im->pending++;
    if (store_append(im->store, e, on_appended, im) != 0) {
        im->pending--;
        im->failed = true;
        return 0;
    }
    json_object_set_new(im->keys, key, json_integer((json_int_t)e->seq));
    im->added++;
    return e->seq;
}

static void put_change(imp_t *im, const store_change_t *ch)
{
    im->pending++;
    if (store_change(im->store, ch, on_written, im) != 0) {
        im->pending--;
        im->failed = true;
    }
}

/* A message's reactions, each user's one event (at the message's time). */
static void put_reactions(imp_t *im, const char *channel, const json_t *m, uint64_t target,
                          const char *key, int64_t ts)
{
    size_t i, j;
    json_t *r, *u;
    json_array_foreach(json_object_get(m, "reactions"), i, r)
    {
        const char *name = json_string_value(json_object_get(r, "name"));
        char emoji[64], cid[STORE_CID_MAX + 1];
        if (!slack_emoji_import(name, emoji, sizeof(emoji), 32))
            continue;                        /* a name parley cannot hold as a reaction */
        uint64_t h = 1469598103934665603ull; /* FNV-1a of the name: a key of fixed size */
        for (const char *p = name; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        json_array_foreach(json_object_get(r, "users"), j, u)
        {
            size_t ui = user_index(im, json_string_value(u));
            snprintf(cid, sizeof(cid), "r%s_%llu_%016llx", key, (unsigned long long)im->uid[ui],
                     (unsigned long long)h);
            store_msg_t e = {.channel = channel,
                             .user = im->ex.users[ui].name,
                             .user_id = im->uid[ui],
                             .text = emoji,
                             .ts = ts,
                             .kind = "react",
                             .target = target};
            put(im, &e, cid);
        }
    }
}

/* One message and what acts on it. */
static void put_message(imp_t *im, const char *channel, const json_t *m)
{
    int64_t ts = 0, ms = 0;
    char key[SLACK_KEY_MAX], tkey[SLACK_KEY_MAX], cid[STORE_CID_MAX + 1];
    (void)slack_ts_parse(json_string_value(json_object_get(m, "ts")), &ts, key);
    const char *sub = json_string_value(json_object_get(m, "subtype"));
    if (sub && (strcmp(sub, "tombstone") == 0 || strcmp(sub, "message_deleted") == 0 ||
                strcmp(sub, "message_changed") == 0 || strcmp(sub, "message_replied") == 0))
        return; /* traces of changes, not messages */
    size_t ui = user_index(im, json_string_value(json_object_get(m, "user")));
    const char *who = json_string_value(json_object_get(m, "username"));
    const char *uid = json_string_value(json_object_get(m, "user"));
    if (!who && uid && strcmp(uid, "USLACKBOT") == 0)
        who = "slackbot";
    store_msg_t e = {.channel = channel,
                     .ts = ts,
                     .kind = "msg",
                     .user = ui != SIZE_MAX ? im->ex.users[ui].name
                             : who          ? who
                                            : "bot",
                     .user_id = ui != SIZE_MAX ? im->uid[ui] : 0};
    snprintf(cid, sizeof(cid), "s%s", key);
    bool line = sub && ui != SIZE_MAX &&
                (strcmp(sub, "channel_join") == 0 || strcmp(sub, "channel_leave") == 0 ||
                 strcmp(sub, "channel_topic") == 0);
    if (line) { /* a channel line (none in general or a DM, as parley makes none there) */
        const char *topic = json_string_value(json_object_get(m, "topic"));
        bool is_topic = strcmp(sub, "channel_topic") == 0;
        e.kind = is_topic ? "topic" : strcmp(sub, "channel_join") == 0 ? "joined" : "left";
        e.text = is_topic ? (topic ? topic : "") : im->ex.users[ui].name; /* whom it concerns */
        e.target = is_topic ? 0 : im->uid[ui];
        if (strcmp(channel, "general") != 0 && strncmp(channel, "dm-", 3) != 0)
            put(im, &e, cid);
        return;
    }
    const char *thread = json_string_value(json_object_get(m, "thread_ts"));
    if (thread && slack_ts_parse(thread, &ms, tkey) == 0 && strcmp(tkey, key) != 0) {
        char pcid[STORE_CID_MAX + 1];
        snprintf(pcid, sizeof(pcid), "s%s", tkey);
        e.thread = key_seq(im, pcid); /* 0: the parent is not in the export, a plain message */
    }
    char *text = text_of(im, m);
    e.text = text;
    uint64_t seq = put(im, &e, cid);
    const json_t *ed = json_object_get(m, "edited");
    const char *ets = json_string_value(json_object_get(ed, "ts"));
    char ekey[SLACK_KEY_MAX];
    if (seq && ets && slack_ts_parse(ets, &ms, ekey) == 0) {
        size_t eu = user_index(im, json_string_value(json_object_get(ed, "user")));
        store_msg_t ev = e;
        ev.kind = "edit";
        ev.thread = 0;
        ev.target = seq;
        ev.ts = ms;
        if (eu != SIZE_MAX) {
            ev.user = im->ex.users[eu].name;
            ev.user_id = im->uid[eu];
        }
        snprintf(cid, sizeof(cid), "e%s_%s", key, ekey);
        put(im, &ev, cid);
    }
    if (seq)
        put_reactions(im, channel, m, seq, key, ts);
    free(text);
}

/* The channel's row (when new) and members. */
static void put_channel(imp_t *im, const slack_conv_t *c, const char *name, const char *kind)
{
    size_t ci = user_index(im, c->creator);
    if (!json_object_get(im->channels, name)) {
        store_change_t ch = {.kind = STORE_CHANNEL_PUT,
                             .ch = {.name = name,
                                    .kind = kind,
                                    .topic = c->topic,
                                    .created_by = ci != SIZE_MAX ? im->ex.users[ci].name : "",
                                    .creator_id = ci != SIZE_MAX ? im->uid[ci] : 0,
                                    .ts = c->created,
                                    .archived = c->archived}};
        put_change(im, &ch);
    }
    for (size_t k = 0; k < c->nmembers && strcmp(name, "general") != 0; k++) {
        store_change_t ch = {.kind = STORE_MEMBER_ADD,
                             .ch = {.name = name},
                             .user_id = im->uid[user_index(im, c->members[k])],
                             .ts = c->created};
        put_change(im, &ch);
    }
}

static int import_conv(imp_t *im, const slack_conv_t *c)
{
    char name[CHAT_CHANNEL_MAX + 1];
    const char *kind = conv_name(c, name);
    if (!chat_channel_name_valid(name, strlen(name))) {
        fprintf(stderr, "parley: import: channel %s: '%s' is not a valid channel name\n", c->id,
                name);
        return -1;
    }
    if (read_keys(im, name) < 0) {
        fprintf(stderr, "parley: import: channel %s: cannot read what is stored\n", name);
        return -1;
    }
    im->added = 0;
    store_group_begin(im->store);
    put_channel(im, c, name, kind);
    for (size_t i = 0; i < c->nmsgs; i++)
        put_message(im, name, c->msgs[i]);
    for (size_t k = 0; k < c->nmembers && im->added; k++) {
        store_change_t ch = {.kind = STORE_READ,
                             .ch = {.name = name},
                             .user_id = im->uid[user_index(im, c->members[k])],
                             .seq = im->last};
        put_change(im, &ch);
    }
    store_group_end(im->store);
    wait_all(im);
    if (im->failed) {
        fprintf(stderr,
                "parley: import: channel %s: the store refused the write (nothing of "
                "it is stored)\n",
                name);
        return -1;
    }
    json_object_set_new(im->channels, name, json_true());
    printf("%s %s: %llu new events (%s %s)\n", kind, name, (unsigned long long)im->added,
           c->kind == SLACK_DM ? "Slack DM" : "Slack", c->kind == SLACK_DM ? c->id : c->name);
    return 0;
}

static void on_channel(void *ctx, const store_channel_t *c)
{
    json_object_set_new(((imp_t *)ctx)->channels, c->name, json_true());
}

/* ---- reset links ---- */

typedef struct {
    imp_t *im;
    auth_status_t status;
    char token[AUTH_SESSION_HEX + 1];
    int64_t expires;
} link_t;

static void on_link(void *ctx, const auth_result_t *r)
{
    link_t *l = ctx;
    l->im->pending--;
    l->status = r->status;
    if (r->token)
        snprintf(l->token, sizeof(l->token), "%s", r->token);
    if (r->invite)
        l->expires = r->invite->expires;
}

static int print_links(imp_t *im)
{
    for (size_t i = 0; i < im->ex.nusers; i++) {
        if (!im->fresh[i] || im->ex.users[i].deleted)
            continue;
        link_t l = {.im = im, .status = AUTH_E_UNAVAILABLE};
        im->pending++;
        auth_reset_create(im->auth, NULL, im->uid[i], on_link, &l);
        wait_all(im);
        if (l.status != AUTH_OK) {
            fprintf(stderr, "parley: import: a link for %s: %s\n", im->ex.users[i].name,
                    auth_status_text(l.status));
            return -1;
        }
        char when[40] = "?";
        time_t t = (time_t)(l.expires / 1000);
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("new account %s: /#reset=%s (expires %s)\n", im->ex.users[i].name, l.token, when);
    }
    return 0;
}

/* ---- the run ---- */

static int run(imp_t *im, const cli_import_t *c)
{
    if (check_users(im, c) < 0 || make_users(im) < 0)
        return 1;
    size_t reused = 0;
    for (size_t i = 0; i < im->ex.nusers; i++)
        reused += !im->fresh[i];
    printf("users: %zu new, %zu existing accounts reused by name\n", im->ex.nusers - reused,
           reused);
    store_load_t cbs = {.channel = on_channel};
    if (store_load(im->store, &cbs, im) < 0) {
        fprintf(stderr, "parley: import: cannot read the stored channels\n");
        return 1;
    }
    for (size_t i = 0; i < im->ex.nconvs; i++) {
        slack_conv_t *conv = &im->ex.convs[i];
        char err[512];
        if (slack_conv_load(im->zip, &im->ex, conv, err, sizeof(err)) < 0) {
            fprintf(stderr, "parley: import: %s\n", err);
            return 1;
        }
        int rc = import_conv(im, conv);
        slack_conv_unload(conv);
        if (rc < 0)
            return 1;
    }
    return print_links(im) < 0 ? 1 : 0;
}

/* The archive, read and checked whole. 0 or 1 after a message. */
static int read_archive(imp_t *im, const char *path)
{
    char err[512];
    im->zip = slack_zip_open(path, err, sizeof(err));
    if (!im->zip || slack_read(im->zip, &im->ex, err, sizeof(err)) < 0) {
        fprintf(stderr, "parley: import: %s (nothing imported)\n", err);
        slack_zip_close(im->zip);
        return 1;
    }
    return 0;
}

int cli_import_run(const cli_import_t *c)
{
    if (strncmp(c->store_url, "sqlite:", 7) == 0 && cli_sqlite_in_use(c->store_url + 7)) {
        fprintf(stderr,
                "parley: import: %s is open in another process (a running server?): "
                "stop it, import, start it again\n",
                c->store_url + 7);
        return 1;
    }
    imp_t im = {0};
    if (read_archive(&im, c->zip) != 0)
        return 1;
    im.uid = xcalloc(im.ex.nusers + 1, sizeof(*im.uid));
    im.fresh = xcalloc(im.ex.nusers + 1, sizeof(*im.fresh));
    im.channels = json_object();
    im.keys = json_object();
    int rc = 1;
    store_open_opts_t so = {.bump_accounts = true};
    if (uv_loop_init(&im.loop) != 0)
        goto free_model;
    if (store_open(&im.loop, c->store_url, &so, &im.store) < 0)
        goto close_loop; /* store_open logged why */
    im.auth = auth_new(&im.loop, im.store, &c->auth);
    if (!im.auth || auth_load(im.auth) < 0)
        fprintf(stderr, "parley: import: cannot read the accounts\n");
    else
        rc = run(&im, c);
    store_close(im.store);
    uv_run(&im.loop, UV_RUN_DEFAULT);
    if (im.auth)
        auth_free(im.auth);
close_loop:
    (void)uv_loop_close(&im.loop);
free_model:
    json_decref(im.channels);
    json_decref(im.keys);
    free(im.uid);
    free(im.fresh);
    slack_export_free(&im.ex);
    slack_zip_close(im.zip);
    return rc;
}
