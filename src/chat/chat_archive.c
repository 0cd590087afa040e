/* chat_archive - archiving, unarchiving and deleting channels; see chat_archive.h.
 *
 * A job lives from the request to its commit: it holds a reference to the requester
 * (which may close meanwhile: then only the members hear of it) and the channel, which is
 * never freed before the hub (a deleted one is a tombstone), so the pointer stays good. */
#include "chat/chat_archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_hook.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat_rooms.h"

typedef struct {
    chat_session_t *s; /* the requester, referenced */
    chat_channel_t *ch;
    bool del;      /* a delete; else an archive or unarchive */
    bool archived; /* what it was before: put back if the store fails */
    char id[CHAT_ID_MAX];
} job_t;

/* The sessions connected to ch (JSON ones), referenced, into a new array; how many. Taken
 * before acting, since leaving a channel edits its list. */
static size_t linked(const chat_channel_t *ch, chat_session_t ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    chat_link_t *const *m;
    size_t nm = chat_channel_members(ch, &m);
    for (size_t i = 0; i < nm; i++) {
        const chat_link_t *l = m[i];
        if (l->fmt != CHAT_FMT_JSON)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        chat_session_ref(l->s);
        (*out)[n++] = l->s;
    }
    return n;
}

void chat_archive_tell(chat_hub_t *h, chat_channel_t *ch, const chat_session_t *except)
{
    chat_session_t **v;
    size_t n = linked(ch, &v);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != except) {
            blob_t *f = chat_rooms_channel_frame(h, ch, chat_session_user(v[i])->id, NULL);
            chat_session_send_frame(v[i], f);
            blob_unref(f);
        }
        chat_session_unref(v[i]);
    }
    free(v);
}

void chat_archive_gone(chat_channel_t *ch)
{
    chat_session_t **v;
    size_t n = linked(ch, &v);
    blob_t *left = chat_rooms_named_frame("channel_left", ch, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        chat_session_exit(v[i], ch);
        chat_session_send_frame(v[i], left);
        chat_session_unref(v[i]);
    }
    blob_unref(left);
    free(v);
    chat_channel_forget(ch);
}

/* An archive or unarchive is stored: every connected member gets the channel as it is now
 * (the requester's copy, its answer, carries the id, member or not). */
static void archived_done(job_t *j)
{
    chat_hub_t *h = chat_session_hub(j->s);
    chat_archive_tell(h, j->ch, j->s);
    blob_t *f = chat_rooms_channel_frame(h, j->ch, chat_session_user(j->s)->id, j->id);
    chat_session_send_frame(j->s, f);
    blob_unref(f);
}

/* A deleted channel's incoming webhooks go with it (revoked, written behind): a channel made
 * again under its name does not inherit them. */
static void revoke_hooks(auth_t *a, const char *channel)
{
    for (size_t i = 0; i < auth_nhooks(a); i++) {
        const auth_hook_t *hk = auth_hook_at(a, i);
        if (!hk->revoked && strcmp(hk->channel, channel) == 0)
            auth_hook_revoke(a, hk->id, NULL, NULL);
    }
}

/* A delete is stored: every connected session leaves the channel (`channel_left`), what it
 * held is freed, its webhooks are revoked, and the requester gets its answer. */
static void deleted_done(job_t *j)
{
    revoke_hooks(chat_hub_auth(chat_session_hub(j->s)), chat_channel_name(j->ch));
    chat_archive_gone(j->ch);
    blob_t *f = chat_rooms_named_frame("channel_deleted", j->ch, NULL, j->id);
    chat_session_send_frame(j->s, f);
    blob_unref(f);
}

static void on_done(void *ctx, int status)
{
    job_t *j = ctx;
    if (status < 0) { /* not stored: as it was, so that a retry finds it */
        if (j->del)
            chat_channel_set_deleted(j->ch, false);
        else
            chat_channel_set_archived(j->ch, j->archived);
        chat_session_error(j->s, "unavailable", CHAT_UNAVAILABLE_TEXT, j->id);
    } else if (j->del) {
        deleted_done(j);
    } else {
        archived_done(j);
    }
    chat_session_unref(j->s);
    free(j);
}

/* Writes the change of ch (kind) for request e; on_done follows its commit. False after
 * answering when the hub refuses writes. */
static bool submit(chat_session_t *s, const json_env_t *e, chat_channel_t *ch,
                   store_change_kind_t kind, bool was_archived)
{
    job_t *j = xcalloc(1, sizeof(*j));
    *j = (job_t){.s = s, .ch = ch, .del = kind == STORE_CHANNEL_DELETE, .archived = was_archived};
    snprintf(j->id, sizeof(j->id), "%s", e->id);
    store_change_t c = {.kind = kind, .ch = chat_channel_row(ch), .ts = clock_wall_ms()};
    if (chat_hub_change(chat_session_hub(s), &c, on_done, j) < 0) {
        free(j);
        chat_rooms_refuse(s, e->id);
        return false;
    }
    chat_session_ref(s);
    return true;
}

/* The channel of request e that the user may act on with act, or NULL after answering. */
static chat_channel_t *target(chat_session_t *s, const json_env_t *e, auth_action_t act,
                              const char *why)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, false);
    if (!ch || !chat_session_may(s, e, act, ch, NULL, why))
        return NULL;
    if (!chat_hub_available(chat_session_hub(s))) {
        chat_rooms_refuse(s, e->id);
        return NULL;
    }
    return ch;
}

static void set_archived(chat_session_t *s, const json_env_t *e, bool on)
{
    chat_channel_t *ch =
        target(s, e, AUTH_ACT_CHANNEL_ARCHIVE,
               "only an owner, an admin or a private channel's creator may archive it");
    if (!ch)
        return;
    if (chat_channel_archived(ch) == on) { /* as asked already: answered, nothing written */
        blob_t *f =
            chat_rooms_channel_frame(chat_session_hub(s), ch, chat_session_user(s)->id, e->id);
        chat_session_send_frame(s, f);
        blob_unref(f);
        return;
    }
    if (!chat_session_pay_rest(s, e))
        return;
    chat_channel_set_archived(ch, on); /* read-only (or not) from the next request on */
    if (!submit(s, e, ch, STORE_CHANNEL_PUT, !on))
        chat_channel_set_archived(ch, !on);
}

void chat_archive_archive(chat_session_t *s, const json_env_t *e)
{
    set_archived(s, e, true);
}

void chat_archive_unarchive(chat_session_t *s, const json_env_t *e)
{
    set_archived(s, e, false);
}

void chat_archive_delete(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = target(s, e, AUTH_ACT_CHANNEL_DELETE,
                                "only an owner or an admin may "
                                "delete a channel");
    if (!ch || !chat_session_pay_rest(s, e))
        return;
    /* A tombstone from now on: nothing more is written to it, and its name is free (a
     * channel made with it now is written after this delete). */
    chat_channel_set_deleted(ch, true);
    if (!submit(s, e, ch, STORE_CHANNEL_DELETE, chat_channel_archived(ch)))
        chat_channel_set_deleted(ch, false);
}
