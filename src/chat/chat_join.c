/* chat_join - the join request and the welcome; see chat_join.h.
 *
 * A waiting join is the session's join slot: until the store's mention counts arrive the
 * connection is in no channel (nothing live reaches it), so its welcome describes exactly
 * what was committed when the counts arrive, and everything later reaches it live.
 *
 * The counts are a store read, which sees what was committed when it was asked but maybe
 * not what was committed while it ran (store.h). So when the user's channels committed
 * anything meanwhile (their committed seqs moved: `mark`), the counts are asked again, up to
 * JOIN_COUNT_TRIES times; past that (a user whose channels never pause) the welcome counts
 * what the last answer had, which may miss a mention of the last few milliseconds. */
#include "chat/chat_join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat_history.h"
#include "chat/chat_online.h"
#include "ws/ws_frame.h"

#define JOIN_COUNT_TRIES 3

struct chat_join {
    chat_channel_t *ch; /* whose history follows the welcome */
    uint64_t mark;      /* commits_mark when the counts were asked */
    unsigned tries;     /* mention count reads asked */
    bool first;         /* the user's first connection: announce the arrival */
    bool abandoned;     /* the session ended while the store counted */
    char id[CHAT_ID_MAX];
    char token[AUTH_SESSION_HEX + 1]; /* a guest's token for the welcome, "" for accounts */
    chat_join_run_cb run;
    chat_channel_t **mch; /* channels with unread mentions, and how many */
    uint64_t *mn;
    size_t n;
    buf_t held; /* requests meanwhile: each a size_t length, then its bytes */
    size_t nheld;
    char *resume;    /* the join's "resume" object as JSON text, or NULL */
    bool resumes_ch; /* ... and it names ch: no history of ch then */
};

static void join_free(struct chat_join *j)
{
    free(j->mch);
    free(j->mn);
    free(j->resume);
    buf_deinit(&j->held);
    free(j);
}

static uint64_t mentions_of(const struct chat_join *j, const chat_channel_t *ch)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->mch[i] == ch)
            return j->mn[i];
    return 0;
}

bool chat_join_waiting(const chat_session_t *s)
{
    return chat_session_join_state(s) != NULL;
}

bool chat_join_hold(chat_session_t *s, const char *text, size_t len)
{
    struct chat_join *j = chat_session_join_state(s);
    if (j->nheld == CHAT_JOIN_HELD_MAX || j->held.len + len > CHAT_JOIN_HELD_BYTES)
        return false;
    buf_append(&j->held, &len, sizeof(len));
    buf_append(&j->held, text, len);
    j->nheld++;
    return true;
}

void chat_join_abandon(chat_session_t *s)
{
    struct chat_join *j = chat_session_join_state(s);
    if (j)
        j->abandoned = true; /* freed by on_mention_counts, which holds a reference */
}

/* ---- the welcome ---- */

/* How much a channel needs to be in a welcome that cannot list them all: mentions first,
 * then unread messages. */
static int welcome_rank(const struct chat_join *j, const chat_channel_t *ch, uint64_t user)
{
    if (mentions_of(j, ch))
        return 2;
    return chat_channel_unread(ch, user) ? 1 : 0;
}

/* For the ranking sort: the rank each channel got, kept beside it. */
typedef struct {
    const chat_channel_t *ch;
    int rank;
} ranked_t;

static int by_rank_then_name(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->rank != y->rank)
        return y->rank - x->rank;
    return strcmp(chat_channel_name(x->ch), chat_channel_name(y->ch));
}

static int ranked_by_name(const void *a, const void *b)
{
    return strcmp(chat_channel_name(((const ranked_t *)a)->ch),
                  chat_channel_name(((const ranked_t *)b)->ch));
}

/* ",{...}" for the channels of s other than #general, by name: at most
 * CHAT_WELCOME_CHANNELS - 1 of them, those with mentions or unread messages first. Returns
 * whether some were left out (the client pages them with channel_list "member": true). */
static bool member_list_json(chat_session_t *s, const struct chat_join *j, buf_t *out)
{
    chat_hub_t *h = chat_session_hub(s);
    uint64_t user = chat_session_user(s)->id;
    size_t n = 0;
    for (chat_link_t *l = chat_session_links(s); l; l = l->s_next)
        n++;
    ranked_t *v = xmalloc((n ? n : 1) * sizeof(*v));
    n = 0;
    for (chat_link_t *l = chat_session_links(s); l; l = l->s_next)
        if (!chat_channel_is_general(l->ch))
            v[n++] = (ranked_t){l->ch, welcome_rank(j, l->ch, user)};
    bool more = n > CHAT_WELCOME_CHANNELS - 1;
    if (more) {
        qsort(v, n, sizeof(*v), by_rank_then_name);
        n = CHAT_WELCOME_CHANNELS - 1;
    }
    qsort(v, n, sizeof(*v), ranked_by_name);
    for (size_t i = 0; i < n; i++) {
        buf_append_str(out, ",");
        chat_channel_json(v[i].ch, chat_hub_auth(h), user, chat_hub_member_count(h, v[i].ch),
                          (int64_t)mentions_of(j, v[i].ch), out);
    }
    free(v);
    return more;
}

static void send_welcome(chat_session_t *s, const struct chat_join *j)
{
    chat_hub_t *h = chat_session_hub(s);
    const char *name = chat_session_name(s);
    chat_channel_t *general = chat_hub_general(h);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"welcome\"");
    if (j->id[0])
        buf_appendf(&b, ",\"id\":%s", j->id);
    const auth_user_t *u = chat_session_user(s);
    buf_append_str(&b, ",\"payload\":{\"user\":");
    json_append_string(&b, name, strlen(name));
    buf_appendf(&b, ",\"user_id\":%llu,\"display_name\":", (unsigned long long)u->id);
    json_append_string(&b, u->display, strlen(u->display));
    buf_append_str(&b, ",\"title\":");
    json_append_string(&b, u->title, strlen(u->title));
    buf_append_str(&b, ",\"tz\":");
    json_append_string(&b, u->tz, strlen(u->tz));
    buf_append_str(&b, ",\"avatar\":");
    json_append_string(&b, u->avatar, strlen(u->avatar));
    buf_appendf(&b, ",\"role\":\"%s\",\"guest\":%s,\"session\":\"%s\",\"channels\":[",
                auth_role_name(u->role), u->role == AUTH_GUEST ? "true" : "false", j->token);
    /* #general first, then the others by name. */
    chat_channel_json(general, chat_hub_auth(h), u->id, chat_hub_member_count(h, general),
                      (int64_t)mentions_of(j, general), &b);
    bool more = member_list_json(s, j, &b);
    buf_appendf(&b, "],\"channels_more\":%s,\"online\":", more ? "true" : "false");
    chat_online_json(h, &b);
    buf_append_str(&b, ",\"away\":");
    chat_online_away_json(h, &b);
    buf_appendf(&b, ",\"online_count\":%zu}}", chat_online_count(h));
    chat_session_send_answer(s, &b);
    buf_deinit(&b);
}

/* Enters every channel of the user and sends the join sequence: welcome, the arrival, the
 * channel's history; then runs the requests held meanwhile. */
static void join_finish(chat_session_t *s, struct chat_join *j)
{
    chat_hub_t *h = chat_session_hub(s);
    const char *name = chat_session_name(s);
    uint64_t sid = chat_session_sid(s);
    if (sid && !auth_session(chat_hub_auth(h), sid)) {
        /* Signed out while the store counted its mentions: it never joins. */
        chat_session_close_conn(s, AUTH_CLOSE_SIGNED_OUT, "signed out");
        join_free(j);
        return;
    }
    chat_session_set_joined(s);
    /* Every channel the user is in; only the requested one replays its history now (the
     * client asks for the others' when it shows them, or resumes them). */
    uint64_t uid = chat_session_user(s)->id;
    for (size_t i = 1; i < chat_hub_nchannels(h); i++) {
        chat_channel_t *c = chat_hub_channel_at(h, i);
        if (chat_channel_has_user(c, uid))
            chat_session_enter(s, c);
    }
    send_welcome(s, j);
    if (j->first)
        chat_online_announce(h, name, true, chat_session_conn(s));
    /* It may have left that channel (from another tab) while the join waited. */
    chat_link_t *l = chat_session_link(s, j->ch);
    if (!l)
        l = chat_session_link(s, chat_hub_general(h));
    if (j->resume) {
        /* Served as a resume sent right after the join, but with nothing in between: no live
         * message reaches the session before the resume holds its channels, so none comes
         * twice (once live, once in the resume). What it resumes needs no history. */
        if (l->ch != j->ch)
            j->resumes_ch = false;
        if (j->resumes_ch)
            chat_history_self_join(s, l->ch);
        /* Without an id: the welcome answered the join's. */
        buf_t r = BUF_INIT;
        buf_appendf(&r, "{\"type\":\"resume\",\"payload\":{\"channels\":%s}}", j->resume);
        j->run(s, r.data, r.len);
        buf_deinit(&r);
    }
    if (!j->resumes_ch && chat_session_conn(s))
        chat_history_join(s, l, true);
    for (size_t off = 0; off < j->held.len && chat_session_conn(s);) {
        size_t len;
        memcpy(&len, j->held.data + off, sizeof(len));
        off += sizeof(len);
        j->run(s, j->held.data + off, len);
        off += len;
    }
    join_free(j);
}

/* The sum of the committed seqs of the user's channels: it moves whenever one of them
 * commits anything. */
static uint64_t commits_mark(chat_hub_t *h, uint64_t uid)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < chat_hub_nchannels(h); i++) {
        chat_channel_t *c = chat_hub_channel_at(h, i);
        if (i == 0 || chat_channel_has_user(c, uid))
            sum += chat_channel_committed(c);
    }
    return sum;
}

static void on_mention_counts(void *ctx, int status, const store_msg_t *rows, size_t n, bool more);

static void ask_counts(chat_session_t *s, struct chat_join *j)
{
    chat_hub_t *h = chat_session_hub(s);
    uint64_t uid = chat_session_user(s)->id;
    j->mark = commits_mark(h, uid);
    j->tries++;
    chat_session_read_begin(s);
    if (chat_history_mentions(s, uid, on_mention_counts, s) < 0)
        on_mention_counts(s, -1, NULL, 0, false);
}

/* The user's unread mentions: rows come by channel, then seq. Each channel counts those up
 * to what it has committed now, the point its welcome describes. */
static void on_mention_counts(void *ctx, int status, const store_msg_t *rows, size_t n, bool more)
{
    chat_session_t *s = ctx;
    struct chat_join *j = chat_session_join_state(s);
    (void)more;
    chat_session_read_end(s);
    if (j->abandoned || !chat_session_conn(s)) {
        chat_session_set_join_state(s, NULL);
        join_free(j);
        chat_session_unref(s);
        return;
    }
    if (status >= 0 && j->tries < JOIN_COUNT_TRIES &&
        commits_mark(chat_session_hub(s), chat_session_user(s)->id) != j->mark) {
        ask_counts(s, j); /* something was committed while the store counted: again */
        return;
    }
    chat_session_set_join_state(s, NULL);
    if (status < 0)
        n = 0; /* the welcome goes out without counts rather than not at all */
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && strcmp(rows[k].channel, rows[i].channel) == 0)
            k++;
        chat_channel_t *ch = chat_hub_channel(chat_session_hub(s), rows[i].channel);
        uint64_t count = 0;
        for (size_t r = i; ch && r < k; r++)
            count += rows[r].seq <= chat_channel_committed(ch);
        if (count) {
            j->mch = xrealloc(j->mch, (j->n + 1) * sizeof(*j->mch));
            j->mn = xrealloc(j->mn, (j->n + 1) * sizeof(*j->mn));
            j->mch[j->n] = ch;
            j->mn[j->n++] = count;
        }
        i = k;
    }
    join_finish(s, j);
    chat_session_unref(s);
}

/* ---- the request ---- */

/* Who a join is: the account or guest session of payload.token; the session the upgrade
 * carried (cookie or bearer), when payload.user is absent or names its user; otherwise a
 * guest join of payload.user. False after answering. */
typedef struct {
    const auth_user_t *user;
    uint64_t sid;
    char token[AUTH_SESSION_HEX + 1]; /* a guest's: the welcome gives it back */
} who_t;

static bool refuse_guest(chat_session_t *s, const json_env_t *e, auth_status_t st)
{
    char m[128];
    switch (st) {
    case AUTH_E_GUESTS_OFF:
        chat_session_error(s, "auth_required", "this server needs an account: sign in", e->id);
        break;
    case AUTH_E_BAD_NAME:
        snprintf(m, sizeof(m),
                 "names are 1-%zu characters, no control or invisible characters, no spaces at "
                 "the ends",
                 chat_hub_config(chat_session_hub(s))->max_name);
        chat_session_error(s, "bad_name", m, e->id);
        break;
    case AUTH_E_NAME_TAKEN:
        chat_session_error(s, "name_taken", "that name belongs to someone else", e->id);
        break;
    case AUTH_E_BANNED:
        chat_session_error(s, "banned", "that name is banned from this server", e->id);
        break;
    case AUTH_E_RATE_LIMITED:
        chat_session_error(s, "rate_limited", "too many guest joins from your address", e->id);
        break;
    default:
        chat_session_error(s, "internal", "the guest join failed", e->id);
        break;
    }
    return false;
}

/* A guest join's payload.channel, checked before the guest is made (a refused join must not
 * take the name): absent, or a stored public channel, or #general. The member check follows
 * the join as for everyone. False after answering. */
static bool guest_channel_ok(chat_session_t *s, const json_env_t *e)
{
    json_t *c = json_object_get(e->payload, "channel");
    if (!c)
        return true;
    if (!json_is_string(c)) {
        chat_session_error(s, "bad_payload", "channel must be a string", e->id);
        return false;
    }
    chat_channel_t *ch = chat_hub_channel(chat_session_hub(s), json_string_value(c));
    if (!ch || chat_channel_unstored(ch) ||
        (!chat_channel_is_general(ch) && chat_channel_kind(ch) != CHAT_KIND_PUBLIC)) {
        chat_session_error(s, "no_such_channel", "no such channel", e->id);
        return false;
    }
    return true;
}

static bool who_of(chat_session_t *s, const json_env_t *e, who_t *w)
{
    auth_t *a = chat_hub_auth(chat_session_hub(s));
    json_t *p = e->payload;
    json_t *tok = p ? json_object_get(p, "token") : NULL;
    json_t *user = p ? json_object_get(p, "user") : NULL;
    const auth_session_t *se = NULL;
    if (tok) {
        se = json_is_string(tok)
                 ? auth_session_check(a, json_string_value(tok), json_string_length(tok))
                 : NULL;
        if (!se) {
            chat_session_error(s, "auth_failed", "that token is not a live session", e->id);
            chat_session_close_conn(s, WS_CLOSE_POLICY, "authentication failed");
            return false;
        }
    } else {
        const chat_creds_t *cr = chat_session_creds(s);
        if (cr && cr->token[0])
            se = auth_session_check(a, cr->token, strlen(cr->token));
        if (user && !json_is_string(user)) {
            chat_session_error(s, "bad_payload", "user must be a string", e->id);
            return false;
        }
        if (user && se &&
            auth_user_named(a, json_string_value(user), json_string_length(user)) != se->user)
            se = NULL; /* another name than the signed-in one: a guest join of it */
        if (!user && !se && cr && cr->token[0]) {
            /* Credentials were presented and are no good: not a guest by accident. */
            chat_session_error(s, "auth_failed", "the session is not valid: sign in again", e->id);
            chat_session_close_conn(s, WS_CLOSE_POLICY, "authentication failed");
            return false;
        }
        if (!user && !se) {
            chat_session_error(s, "bad_payload",
                               "join needs payload.user (a guest) or payload.token (an account)",
                               e->id);
            return false;
        }
    }
    if (se) {
        w->user = se->user;
        w->sid = se->id;
        return true;
    }
    json_t *sess = json_object_get(p, "session");
    if (sess && !json_is_string(sess)) {
        chat_session_error(s, "bad_payload", "session must be a string", e->id);
        return false;
    }
    if (!guest_channel_ok(s, e))
        return false;
    const chat_creds_t *cr = chat_session_creds(s);
    auth_status_t st =
        auth_guest(a, json_string_value(user), json_string_length(user),
                   sess ? json_string_value(sess) : NULL, cr ? cr->addr : "", &w->user, w->token);
    if (st != AUTH_OK)
        return refuse_guest(s, e, st);
    se = auth_session_check(a, w->token, strlen(w->token));
    w->sid = se ? se->id : 0;
    return true;
}

void chat_join_request(chat_session_t *s, const json_env_t *e, chat_join_run_cb run)
{
    chat_hub_t *h = chat_session_hub(s);
    who_t w = {0};
    if (!who_of(s, e, &w))
        return;
    const char *name = w.user->name;
    json_t *resume = json_object_get(e->payload, "resume");
    if (resume && !json_is_object(resume)) {
        chat_session_error(s, "bad_payload", "join's resume must be an object", e->id);
        return;
    }
    json_t *events = json_object_get(e->payload, "events");
    if (events && !json_is_boolean(events)) {
        chat_session_error(s, "bad_payload", "join's events must be true or false", e->id);
        return;
    }
    if (json_is_true(events)) /* before any channel is entered: its links take events */
        chat_session_set_events(s);
    /* The name first, so that the channel's visibility is judged for this user. */
    chat_session_set_user(s, name, NULL, w.user, w.sid);
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", true, false);
    if (!ch)
        return;
    if (!chat_channel_has_user(ch, w.user->id)) {
        chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
        return;
    }
    bool first;
    chat_presence_t *pres = chat_online_add(h, name, &first);
    chat_session_set_user(s, name, pres, w.user, w.sid);
    chat_session_set_creds(s, NULL);
    chat_session_set_mode(s, CHAT_MODE_JSON);
    struct chat_join *j = xcalloc(1, sizeof(*j));
    j->ch = ch;
    j->first = first;
    j->run = run;
    snprintf(j->id, sizeof(j->id), "%s", e->id);
    snprintf(j->token, sizeof(j->token), "%s", w.token);
    buf_init(&j->held);
    if (resume) {
        j->resume = json_dumps(resume, JSON_COMPACT); /* NULL (no memory): a plain join */
        j->resumes_ch = j->resume && json_object_get(resume, chat_channel_name(ch));
    }
    if (!chat_hub_may_have_mentions(h, w.user->id)) {
        join_finish(s, j); /* nobody ever named this user, and no @channel since a read */
        return;
    }
    chat_session_set_join_state(s, j);
    chat_session_ref(s);
    ask_counts(s, j);
}
