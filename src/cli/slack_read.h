/* slack_read - a Slack workspace export, read whole and checked before anything is written.
 *
 * The layout (Slack's "Export your workspace data" help page): users.json (every member),
 * channels.json (public channels), and when present groups.json (private channels),
 * mpims.json (group direct messages) and dms.json (direct messages); then one folder per
 * conversation holding a file per day, FOLDER/YYYY-MM-DD.json, each an array of message
 * objects. A channel's and a group DM's folder is its name, a DM's its id.
 *
 * slack_read checks every file: a conversation's members, its creator, each message's
 * author, editor and reactors must be users of users.json (an unknown user is an error, so
 * nothing is written with a hole in it; an author may also be Slack's own USLACKBOT), each
 * ts must be Slack's "SECONDS.MICROS", each
 * field its type. It keeps users and conversations, not messages (an export can be far
 * larger than what its users and channels take): slack_conv_load reads one conversation's
 * messages again, oldest first (by ts; a ts seen twice in one conversation is kept once),
 * as the JSON objects themselves, until slack_conv_unload.
 *
 * No I/O but through slack_zip; no logging: errors are one line into err, naming the file. */
#ifndef PARLEY_SLACK_READ_H
#define PARLEY_SLACK_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/slack_zip.h"

#define SLACK_TEXT_MAX 65536 /* bytes of a message's text */
#define SLACK_KEY_MAX 24     /* bytes of a ts key, NUL included */

typedef struct {
    char *id;      /* "U123" */
    char *name;    /* the handle: a parley account's name */
    char *display; /* profile.display_name or real_name, "" for none */
    char *title, *tz;
    bool admin; /* is_admin or is_owner */
    bool deleted;
} slack_user_t;

typedef enum { SLACK_PUBLIC, SLACK_PRIVATE, SLACK_MPIM, SLACK_DM } slack_kind_t;

typedef struct {
    char *id;
    char *name; /* Slack's name; a DM has none: its id */
    slack_kind_t kind;
    bool general, archived;
    char *topic;   /* "" for none */
    char *creator; /* a user id, NULL for none */
    int64_t created;
    char **members; /* user ids */
    size_t nmembers;
    json_t **msgs; /* after slack_conv_load: message objects, oldest first (in days_kept) */
    size_t nmsgs;
    json_t *days;      /* while reading: one day file's messages */
    json_t *days_kept; /* after slack_conv_load: every day's messages (owned) */
} slack_conv_t;

typedef struct {
    slack_user_t *users;
    size_t nusers;
    slack_conv_t *convs;
    size_t nconvs;
    json_t *user_ix; /* user id -> its index in users (lookups stay O(1) on big exports) */
    json_t *conv_ix; /* conversation id -> its index in convs */
    json_t *day_ix;  /* folder -> the names of its day files */
} slack_export_t;

/* Reads the archive into out (zeroed by the caller). 0, or -1 after a message in err (out
 * is freed then). */
int slack_read(slack_zip_t *z, slack_export_t *out, char *err, size_t cap);
void slack_export_free(slack_export_t *e);

/* Reads conversation c's messages (z: the archive slack_read checked, still open): 0, or -1
 * after a message in err (an archive changed since). */
int slack_conv_load(slack_zip_t *z, const slack_export_t *e, slack_conv_t *c, char *err,
                    size_t cap);
/* Drops them. */
void slack_conv_unload(slack_conv_t *c);

/* The user of a Slack id (NULL: none), or NULL. */
const slack_user_t *slack_user_find(const slack_export_t *e, const char *id);
/* The conversation of a Slack id (len bytes), or NULL. */
const slack_conv_t *slack_conv_find(const slack_export_t *e, const char *id, size_t len);

/* A Slack ts ("1512085950.000216": 1-12 digits, a dot, 1-6 digits) -> Unix ms and its key,
 * the ts with its dot as '_' and its fraction as 6 digits ("1512085950_000216"). 0, or -1
 * when malformed. */
int slack_ts_parse(const char *ts, int64_t *ms, char key[SLACK_KEY_MAX]);

#endif
