/* slack_read - a Slack export read whole and checked; see slack_read.h.
 *
 * Users and conversations are copied into plain structs; messages stay jansson objects
 * (the importer reads their many optional fields as it writes them), each checked here
 * first so that the importer meets no surprise. */
#include "cli/slack_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static void say(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

int slack_ts_parse(const char *ts, int64_t *ms, char key[SLACK_KEY_MAX])
{
    const char *dot = strchr(ts, '.');
    size_t sec = dot ? (size_t)(dot - ts) : strlen(ts);
    size_t frac = dot ? strlen(dot + 1) : 0;
    if (sec == 0 || sec > 12 || (dot && (frac == 0 || frac > 6)))
        return -1;
    int64_t s = 0, us = 0;
    for (size_t i = 0; i < sec; i++) {
        if (ts[i] < '0' || ts[i] > '9')
            return -1;
        s = s * 10 + (ts[i] - '0');
    }
    for (size_t i = 0; i < 6; i++) {
        char c = (char)(i < frac ? dot[1 + i] : '0');
        if (c < '0' || c > '9')
            return -1;
        us = us * 10 + (c - '0');
    }
    *ms = s * 1000 + us / 1000;
    /* at most 12 + 1 + 6 bytes: the seconds as given, '_', the fraction padded to 6 */
    memcpy(key, ts, sec);
    key[sec] = '_';
    for (size_t i = 0; i < 6; i++)
        key[sec + 1 + i] = (char)(i < frac ? dot[1 + i] : '0');
    key[sec + 7] = '\0';
    return 0;
}

const slack_user_t *slack_user_find(const slack_export_t *e, const char *id)
{
    const json_t *i = id && e->user_ix ? json_object_get(e->user_ix, id) : NULL;
    return i ? &e->users[json_integer_value(i)] : NULL;
}

const slack_conv_t *slack_conv_find(const slack_export_t *e, const char *id, size_t len)
{
    const json_t *i = e->conv_ix ? json_object_getn(e->conv_ix, id, len) : NULL;
    return i ? &e->convs[json_integer_value(i)] : NULL;
}

/* obj[key] as a string: 0 and *out (NULL when absent or null), -1 when of another type. */
static int str_field(const json_t *obj, const char *key, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    return !v || json_is_null(v) || json_is_string(v) ? 0 : -1;
}

static char *dup_or(const char *s, const char *dflt)
{
    return xstrdup(s ? s : dflt);
}

/* ---- users.json ---- */

static int read_user(slack_export_t *e, const json_t *u, char *err, size_t cap)
{
    const char *id, *name, *real = NULL, *disp = NULL, *title = NULL, *tz = NULL;
    const json_t *prof = json_object_get(u, "profile");
    if (!json_is_object(u) || str_field(u, "id", &id) < 0 || !id || !*id ||
        str_field(u, "name", &name) < 0 || !name || !*name || str_field(u, "tz", &tz) < 0 ||
        str_field(u, "real_name", &real) < 0 ||
        (prof && (!json_is_object(prof) || str_field(prof, "display_name", &disp) < 0 ||
                  str_field(prof, "title", &title) < 0))) {
        say(err, cap, "users.json: user %zu: needs an object with string id and name",
            e->nusers + 1);
        return -1;
    }
    if (!e->users || slack_user_find(e, id)) { /* (users is read_users' array) */
        say(err, cap, "users.json: user %s twice", id);
        return -1;
    }
    json_object_set_new(e->user_ix, id, json_integer((json_int_t)e->nusers));
    slack_user_t *su = &e->users[e->nusers++];
    su->id = xstrdup(id);
    su->name = xstrdup(name);
    su->display = dup_or(disp && *disp ? disp : real, "");
    su->title = dup_or(title, "");
    su->tz = dup_or(tz, "");
    su->admin = json_is_true(json_object_get(u, "is_admin")) ||
                json_is_true(json_object_get(u, "is_owner"));
    su->deleted = json_is_true(json_object_get(u, "deleted"));
    return 0;
}

static int read_users(slack_zip_t *z, slack_export_t *e, char *err, size_t cap)
{
    json_t *arr = NULL;
    int rc = slack_zip_json(z, "users.json", &arr, err, cap);
    if (rc == 1)
        say(err, cap, "users.json is missing: not a Slack workspace export");
    if (rc != 0)
        return -1;
    if (!json_is_array(arr)) {
        say(err, cap, "users.json: not an array");
        json_decref(arr);
        return -1;
    }
    e->users = xcalloc(json_array_size(arr) + 1, sizeof(*e->users));
    e->user_ix = json_object();
    size_t i;
    json_t *u;
    json_array_foreach(arr, i, u)
    {
        if (read_user(e, u, err, cap) < 0) {
            json_decref(arr);
            return -1;
        }
    }
    json_decref(arr);
    return 0;
}

/* ---- channels.json, groups.json, mpims.json, dms.json ---- */

static const char *conv_files[] = {"channels.json", "groups.json", "mpims.json", "dms.json"};

static int read_members(const slack_export_t *e, slack_conv_t *c, const json_t *members,
                        const char *file, char *err, size_t cap)
{
    if (members && !json_is_array(members)) {
        say(err, cap, "%s: %s: members is not an array", file, c->id);
        return -1;
    }
    c->members = xcalloc(json_array_size(members) + 1, sizeof(*c->members));
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m)
    {
        const char *id = json_string_value(m);
        if (!slack_user_find(e, id)) {
            say(err, cap, "%s: %s: member %s is not in users.json", file, c->id,
                id ? id : "(not a string)");
            return -1;
        }
        c->members[c->nmembers++] = xstrdup(id);
    }
    return 0;
}

static int read_conv(slack_export_t *e, slack_kind_t kind, const json_t *o, char *err, size_t cap)
{
    const char *file = conv_files[kind], *id, *name = NULL, *creator = NULL, *topic = NULL;
    const json_t *t = json_object_get(o, "topic"), *created = json_object_get(o, "created");
    if (!json_is_object(o) || str_field(o, "id", &id) < 0 || !id || !*id ||
        str_field(o, "name", &name) < 0 || (kind != SLACK_DM && (!name || !*name)) ||
        str_field(o, "creator", &creator) < 0 || (t && !json_is_object(t)) ||
        (t && str_field(t, "value", &topic) < 0) || (created && !json_is_integer(created))) {
        say(err, cap, "%s: conversation %zu: needs an object with string id and name", file,
            e->nconvs + 1);
        return -1;
    }
    if (creator && *creator && !slack_user_find(e, creator)) {
        say(err, cap, "%s: %s: creator %s is not in users.json", file, id, creator);
        return -1;
    }
    if (!e->convs || slack_conv_find(e, id, strlen(id))) { /* (convs is read_convs' array) */
        say(err, cap, "%s: conversation %s twice", file, id);
        return -1;
    }
    json_object_set_new(e->conv_ix, id, json_integer((json_int_t)e->nconvs));
    slack_conv_t *c = &e->convs[e->nconvs++];
    c->id = xstrdup(id);
    c->name = xstrdup(kind == SLACK_DM || !name ? id : name);
    c->kind = kind;
    c->general = json_is_true(json_object_get(o, "is_general"));
    c->archived = json_is_true(json_object_get(o, "is_archived"));
    c->topic = dup_or(topic, "");
    c->creator = creator && *creator ? xstrdup(creator) : NULL;
    c->created = created ? json_integer_value(created) * 1000 : 0;
    return read_members(e, c, json_object_get(o, "members"), file, err, cap);
}

static int read_convs(slack_zip_t *z, slack_export_t *e, char *err, size_t cap)
{
    json_t *arrs[4] = {NULL};
    size_t total = 0;
    int rc = 0;
    for (int k = 0; k < 4 && rc == 0; k++) {
        int got = slack_zip_json(z, conv_files[k], &arrs[k], err, cap);
        if (got < 0 || (got == 0 && !json_is_array(arrs[k]))) {
            if (got == 0)
                say(err, cap, "%s: not an array", conv_files[k]);
            rc = -1;
        } else if (got == 1 && k == 0) {
            say(err, cap, "channels.json is missing: not a Slack workspace export");
            rc = -1;
        }
        total += json_array_size(arrs[k]);
    }
    e->convs = xcalloc(total + 1, sizeof(*e->convs));
    e->conv_ix = json_object();
    for (int k = 0; k < 4 && rc == 0; k++) {
        size_t i;
        json_t *o;
        json_array_foreach(arrs[k], i, o)
        {
            if ((rc = read_conv(e, (slack_kind_t)k, o, err, cap)) < 0)
                break;
        }
    }
    for (int k = 0; k < 4; k++)
        json_decref(arrs[k]);
    return rc;
}

/* ---- the day files ---- */

/* A message's fields as the importer will read them (see slack_read.h). */
static int check_msg(const slack_export_t *e, const json_t *m, char *err, size_t cap)
{
    const char *ts, *user, *text, *thread = NULL, *ets = NULL, *euser = NULL;
    int64_t ms;
    char key[SLACK_KEY_MAX];
    const json_t *edited = json_object_get(m, "edited");
    if (str_field(m, "ts", &ts) < 0 || !ts || slack_ts_parse(ts, &ms, key) < 0)
        return say(err, cap, "a message without a valid ts"), -1;
    /* Slackbot writes as USLACKBOT, a user no users.json holds */
    if (str_field(m, "user", &user) < 0 ||
        (user && strcmp(user, "USLACKBOT") != 0 && !slack_user_find(e, user)))
        return say(err, cap, "message %s: user %s is not in users.json", ts, user ? user : "?"), -1;
    if (str_field(m, "text", &text) < 0 || (text && strlen(text) > SLACK_TEXT_MAX))
        return say(err, cap, "message %s: text not a string or over 64 KiB", ts), -1;
    if (str_field(m, "thread_ts", &thread) < 0 || (thread && slack_ts_parse(thread, &ms, key) < 0))
        return say(err, cap, "message %s: bad thread_ts", ts), -1;
    if (edited &&
        (!json_is_object(edited) || str_field(edited, "ts", &ets) < 0 ||
         str_field(edited, "user", &euser) < 0 || (ets && slack_ts_parse(ets, &ms, key) < 0) ||
         (euser && !slack_user_find(e, euser))))
        return say(err, cap, "message %s: bad edited (a ts, a user of users.json)", ts), -1;
    const json_t *files = json_object_get(m, "files"), *reactions = json_object_get(m, "reactions"),
                 *att = json_object_get(m, "attachments");
    if ((files && !json_is_array(files)) || (reactions && !json_is_array(reactions)) ||
        (att && !json_is_array(att)))
        return say(err, cap, "message %s: files, attachments and reactions must be arrays", ts), -1;
    size_t i, j;
    json_t *r, *u;
    json_array_foreach(reactions, i, r)
    {
        const char *name;
        const json_t *users = json_object_get(r, "users");
        if (!json_is_object(r) || str_field(r, "name", &name) < 0 || !name || !json_is_array(users))
            return say(err, cap, "message %s: a reaction needs a name and users", ts), -1;
        json_array_foreach(users, j, u)
        {
            if (!slack_user_find(e, json_string_value(u)))
                return say(err, cap, "message %s: reaction %s by a user not in users.json", ts,
                           name),
                       -1;
        }
    }
    return 0;
}

typedef struct {
    json_t *m;
    int64_t ms;
    char key[SLACK_KEY_MAX];
} sorted_t;

static int by_ts(const void *a, const void *b)
{
    const sorted_t *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The folder of a day file FOLDER/YYYY-MM-DD.json (its length), or 0 when name is none. */
static size_t day_folder(const char *name)
{
    const char *slash = strrchr(name, '/');
    if (!slash || slash == name || strlen(slash + 1) != 15 || strcmp(slash + 11, ".json") != 0)
        return 0;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? slash[1 + i] != '-' : (slash[1 + i] < '0' || slash[1 + i] > '9'))
            return 0;
    return (size_t)(slash - name);
}

/* Every day file of the archive by folder, in one pass: folder -> [names], each sorted. */
static json_t *index_days(slack_zip_t *z)
{
    json_t *ix = json_object();
    for (size_t i = 0; i < slack_zip_count(z); i++) {
        const char *name = slack_zip_name(z, i);
        size_t fl = day_folder(name);
        if (!fl)
            continue;
        json_t *list = json_object_getn(ix, name, fl);
        if (!list)
            json_object_setn_new(ix, name, fl, list = json_array());
        json_array_append_new(list, json_string(name));
    }
    return ix;
}

/* Every message object of one day file into c->days. */
static int read_day(slack_zip_t *z, const slack_export_t *e, slack_conv_t *c, const char *name,
                    char *err, size_t cap)
{
    json_t *arr = NULL;
    if (slack_zip_json(z, name, &arr, err, cap) != 0)
        return -1;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return say(err, cap, "%s: not an array of messages", name), -1;
    }
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "type"));
        if (!json_is_object(m) || (type && strcmp(type, "message") != 0))
            continue; /* not a message: nothing of it is imported */
        char why[300];
        if (check_msg(e, m, why, sizeof(why)) < 0) {
            json_decref(arr);
            return say(err, cap, "%s: %s", name, why), -1;
        }
        json_array_append(c->days, m);
    }
    json_decref(arr);
    return 0;
}

/* The conversation's day files (oldest first) into c->days; with keep false they are only
 * checked, and dropped. */
static int read_days(slack_zip_t *z, const slack_export_t *e, slack_conv_t *c, bool keep, char *err,
                     size_t cap)
{
    const json_t *list = json_object_get(e->day_ix, c->name);
    size_t nd = json_array_size(list);
    const char **days = xcalloc(nd + 1, sizeof(*days));
    for (size_t i = 0; i < nd; i++)
        days[i] = json_string_value(json_array_get(list, i));
    qsort(days, nd, sizeof(*days), by_name);
    int rc = 0;
    for (size_t i = 0; i < nd && rc == 0; i++) {
        json_decref(c->days);
        c->days = json_array(); /* checking only: one day file at a time */
        rc = read_day(z, e, c, days[i], err, cap);
        if (rc == 0 && keep)
            json_array_extend(c->days_kept, c->days);
    }
    free(days);
    json_decref(c->days);
    c->days = NULL;
    return rc;
}

/* c->days_kept's messages, sorted by ts, into c->msgs (a ts seen twice kept once). */
static void sort_days(slack_conv_t *c)
{
    size_t nm = json_array_size(c->days_kept);
    sorted_t *s = xcalloc(nm + 1, sizeof(*s));
    for (size_t i = 0; i < nm; i++) {
        s[i].m = json_array_get(c->days_kept, i);
        (void)slack_ts_parse(json_string_value(json_object_get(s[i].m, "ts")), &s[i].ms, s[i].key);
    }
    qsort(s, nm, sizeof(*s), by_ts);
    c->msgs = xcalloc(nm + 1, sizeof(json_t *));
    c->nmsgs = 0;
    for (size_t i = 0; i < nm; i++)
        if (i == 0 || strcmp(s[i].key, s[i - 1].key) != 0)
            c->msgs[c->nmsgs++] = s[i].m;
    free(s);
}

int slack_conv_load(slack_zip_t *z, const slack_export_t *e, slack_conv_t *c, char *err, size_t cap)
{
    slack_conv_unload(c);
    c->days_kept = json_array();
    if (read_days(z, e, c, true, err, cap) < 0) {
        slack_conv_unload(c);
        return -1;
    }
    sort_days(c);
    return 0;
}

void slack_conv_unload(slack_conv_t *c)
{
    free(c->msgs);
    c->msgs = NULL;
    c->nmsgs = 0;
    json_decref(c->days_kept);
    c->days_kept = NULL;
}

int slack_read(slack_zip_t *z, slack_export_t *out, char *err, size_t cap)
{
    int rc = read_users(z, out, err, cap);
    if (rc == 0)
        rc = read_convs(z, out, err, cap);
    if (rc == 0)
        out->day_ix = index_days(z);
    for (size_t i = 0; rc == 0 && i < out->nconvs; i++)
        rc = read_days(z, out, &out->convs[i], false, err, cap);
    if (rc < 0)
        slack_export_free(out);
    return rc;
}

void slack_export_free(slack_export_t *e)
{
    for (size_t i = 0; i < e->nusers; i++) {
        slack_user_t *u = &e->users[i];
        free(u->id);
        free(u->name);
        free(u->display);
        free(u->title);
        free(u->tz);
    }
    for (size_t i = 0; i < e->nconvs; i++) {
        slack_conv_t *c = &e->convs[i];
        for (size_t k = 0; k < c->nmembers; k++)
            free(c->members[k]);
        free(c->members);
        free(c->id);
        free(c->name);
        free(c->topic);
        free(c->creator);
        slack_conv_unload(c);
    }
    free(e->users);
    free(e->convs);
    json_decref(e->user_ix);
    json_decref(e->conv_ix);
    json_decref(e->day_ix);
    memset(e, 0, sizeof(*e));
}
