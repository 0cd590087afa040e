/* files - the files people post: content-addressed bytes on disk, one record per upload.
 *
 * Layout under the directory given to files_open (--files, beside the database):
 *   blobs/XX/SHA256   the bytes, named by their SHA-256 in hex (XX: its first two digits), so
 *                     the same bytes uploaded twice are stored once;
 *   meta/ID.json      one record per upload: {"id","sha256","name","type","size","w","h",
 *                     "uploader","channel","created","seq"}; seq is the message carrying it,
 *                     0 until a message took it;
 *   avatars/SHA256     a profile's image, named by its SHA-256 like a blob; no record: the
 *                     users' rows name it (store_user_t.avatar), and it goes when none does.
 * Each is written to a temporary name and renamed, so a crash leaves a whole file or none.
 * A blob is removed when the last record naming its SHA-256 goes (files_release). The
 * records are read at open and kept in memory; one another process wrote (several processes
 * sharing the directory) is read when asked for by id.
 *
 * An upload's bytes (up to max_file) are hashed and written off the owner's thread
 * (files_put_begin, _work, _end): they are fsynced before the upload is answered, and a
 * 25 MB file never holds the hub's loop. Everything else is small synchronous file I/O on
 * the owner's thread. No libuv, no sockets, no logging but open's. Not thread-safe: one
 * owner thread, and files_put_work on any thread for the job it is given. */
#ifndef PARLEY_FILES_H
#define PARLEY_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct files files_t;

#define FILES_ID_LEN 32    /* hex digits of an id (128 random bits) */
#define FILES_NAME_MAX 200 /* bytes of a name kept */
#define FILES_PER_MSG 10   /* files one message may carry */

/* Status codes (0: ok). */
#define FILES_ETOOBIG (-1) /* over max_file */
#define FILES_EQUOTA (-2)  /* the uploader's quota would be passed */
#define FILES_EIO (-3)     /* the disk refused (full, permissions) */
#define FILES_EINVAL (-4)  /* a malformed argument (empty body, bad channel) */

/* One upload's record. Strings are owned by the registry, valid until the record is
 * released (files_release) or the registry closed. */
typedef struct {
    char id[FILES_ID_LEN + 1];
    char sha[65];
    char *name;    /* safe to show and to put in a header: no path, no controls, no quotes */
    char *type;    /* what it is served as (files_type) */
    char *channel; /* posted in */
    uint64_t size;
    uint32_t w, h; /* an image's size as its uploader gave it, 0 when unknown */
    uint64_t uploader;
    int64_t created; /* Unix ms */
    uint64_t seq;    /* the message carrying it, 0: none yet */
    bool reserved;   /* a message carrying it is being written (not stored) */
} files_meta_t;

typedef struct {
    uint64_t uploader;
    const char *channel;
    const char *name; /* as the client gave it (any bytes; sanitized here) */
    const char *type; /* as the client claimed it (NULL: none) */
    uint32_t w, h;
    const void *data;
    size_t len;
} files_put_t;

/* Opens (creating) dir and reads its records. NULL (logged) when dir cannot be made. */
files_t *files_open(const char *dir, uint64_t max_file, uint64_t quota);
void files_close(files_t *f);
uint64_t files_max(const files_t *f);

/* An upload in three steps, so that the long part runs on another thread:
 *   files_put_begin  (owner thread): checks it and reserves its bytes against the
 *                    uploader's quota (uploads in flight count too); copies everything of in
 *                    it needs. 0 with *job, or FILES_E* (nothing reserved);
 *   files_put_work   (any thread, once): hashes the bytes, writes the blob (unless stored
 *                    already) and the record, each fsynced with its directory; it touches
 *                    nothing of the registry but its directory's name;
 *   files_put_end    (owner thread, once, after work): the record joins the registry: 0
 *                    with *out (the registry's), or FILES_EIO. The job is freed and its
 *                    reservation released either way.
 * The registry must outlive every job begun on it. */
typedef struct files_job files_job_t;
int files_put_begin(files_t *f, const files_put_t *in, files_job_t **job);
void files_put_work(files_job_t *job);
int files_put_end(files_t *f, files_job_t *job, const files_meta_t **out);

/* The three steps in a row, on the owner's thread (small files, tests). */
int files_put(files_t *f, const files_put_t *in, const files_meta_t **out);

/* The record of id, NULL when there is none (a malformed id included). */
const files_meta_t *files_get(files_t *f, const char *id, size_t len);

/* The blob's path for m (into out, cap bytes). */
void files_path(const files_t *f, const files_meta_t *m, char *out, size_t cap);

/* A message carrying id is being written (reserved true), or was not stored after all
 * (false). */
void files_reserve(files_t *f, const char *id, bool on);
/* The message (channel, seq) carries id: recorded. 0 or FILES_EIO. */
int files_attach(files_t *f, const char *id, const char *channel, uint64_t seq);
/* The message (channel, seq) was deleted: its files' records go, and each blob no other
 * record names. Returns how many records went. */
size_t files_release(files_t *f, const char *channel, uint64_t seq);

/* Bytes the user's records hold. */
uint64_t files_used(const files_t *f, uint64_t user);

/* The type to serve bytes claimed as `claimed` under: an allowlisted type whose magic
 * bytes match (images: png, jpeg, gif, webp; pdf), text/plain for UTF-8 text claimed as
 * text/..., application/octet-stream for everything else. Static string. */
const char *files_type(const char *claimed, const void *data, size_t len);
/* Whether type is one shown inline (an image; never svg). */
bool files_inline(const char *type);

/* ---- avatars ---- */

#define FILES_AVATAR_MAX ((size_t)1024 * 1024) /* bytes of an avatar image */

/* Stores an avatar: an image (PNG, JPEG, GIF or WebP by its magic bytes, whatever anyone
 * claims) of 1 to FILES_AVATAR_MAX bytes, once per content. 0 with its id (the SHA-256 in
 * lowercase hex) in id; FILES_EINVAL (not such an image), FILES_ETOOBIG, FILES_EIO. */
int files_avatar_put(files_t *f, const void *data, size_t len, char id[65]);
/* The avatar of id (len bytes): 0 with *data (the caller's to free), *size and *type (a
 * static string), or -1 when there is none or id is not 64 lowercase hex digits. */
int files_avatar_get(files_t *f, const char *id, size_t len, char **data, size_t *size,
                     const char **type);
/* Removes the avatar of id (no profile names it any more); a no-op for an unknown id. */
void files_avatar_remove(files_t *f, const char *id);

/* Appends m as a message carries it: {"id","name","type","size"[,"w","h"],"url"}. */
void files_meta_json(buf_t *out, const files_meta_t *m);
/* Whether s is what a message's files field holds: a JSON array (of objects), at most
 * FILES_PER_MSG. "" is valid (none). */
bool files_json_valid(const char *s);

#endif
