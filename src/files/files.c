/* files - content-addressed uploads and their records; see files.h.
 *
 * The registry is an array of records, searched linearly: an id lookup per download and
 * per file a message carries, a scan per delete. Thousands of records cost microseconds; an
 * index is the next step past that. */
#include "files/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "json/json_env.h"

struct files {
    char *dir;
    uint64_t max_file, quota;
    files_meta_t **v;
    size_t n, cap;
    files_job_t *jobs; /* uploads begun and not ended: their bytes count against quotas */
};

/* An upload between files_put_begin and files_put_end. Until work ran, m holds what begin
 * knew (the name, the claims); work fills in the hash and the type and sets rc. */
struct files_job {
    files_job_t *next;
    const files_t *f;
    files_meta_t *m;
    char *claimed; /* the type the client claimed, "" for none */
    void *data;
    size_t len;
    int rc;
};

static void meta_free(files_meta_t *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->type);
    free(m->channel);
    free(m);
}

static bool hex_id(const char *s, size_t len, size_t want)
{
    if (len != want)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* ---- the disk ---- */

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* fsync of the directory holding path: what makes a rename in it durable. */
static int sync_dir_of(const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes len bytes to path through a temporary name and a rename; durable: also fsynced,
 * the file before the rename and its directory after. */
static int write_whole(const char *path, const void *data, size_t len, bool durable)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp%08x", path, randombytes_random());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return FILES_EIO;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return FILES_EIO;
        }
        p += w;
        left -= (size_t)w;
    }
    bool bad = durable && fsync(fd) < 0;
    if (close(fd) < 0) /* closed whatever fsync said */
        bad = true;
    if (bad || rename(tmp, path) < 0) {
        unlink(tmp);
        return FILES_EIO;
    }
    return durable && sync_dir_of(path) < 0 ? FILES_EIO : 0;
}

static void meta_path(const files_t *f, const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/meta/%s.json", f->dir, id);
}

void files_path(const files_t *f, const files_meta_t *m, char *out, size_t cap)
{
    snprintf(out, cap, "%s/blobs/%.2s/%s", f->dir, m->sha, m->sha);
}

/* durable: an upload's first record, answered only once it is on disk; later rewrites
 * (the seq a message gave it) are not: the message itself holds what they record. */
static int meta_write(const files_t *f, const files_meta_t *m, bool durable)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "id", m->id, "sha256",
                          m->sha, "name", m->name, "type", m->type, "channel", m->channel, "size",
                          (json_int_t)m->size, "w", (json_int_t)m->w, "h", (json_int_t)m->h,
                          "uploader", (json_int_t)m->uploader, "created", (json_int_t)m->created,
                          "seq", (json_int_t)m->seq);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return FILES_EIO;
    char path[4200];
    meta_path(f, m->id, path, sizeof(path));
    int rc = write_whole(path, text, strlen(text), durable);
    free(text);
    return rc;
}

static uint64_t num_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* A record read from disk, NULL when it is not one of ours. */
static files_meta_t *meta_read(const files_t *f, const char *id)
{
    char path[4200];
    meta_path(f, id, path, sizeof(path));
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *ch = json_string_value(json_object_get(o, "channel"));
    const char *mid = json_string_value(json_object_get(o, "id"));
    files_meta_t *m = NULL;
    if (sha && name && type && ch && mid && strcmp(mid, id) == 0 && hex_id(sha, strlen(sha), 64)) {
        m = xcalloc(1, sizeof(*m));
        snprintf(m->id, sizeof(m->id), "%s", id);
        snprintf(m->sha, sizeof(m->sha), "%s", sha);
        m->name = xstrdup(name);
        m->type = xstrdup(type);
        m->channel = xstrdup(ch);
        m->size = num_of(o, "size");
        m->w = (uint32_t)num_of(o, "w");
        m->h = (uint32_t)num_of(o, "h");
        m->uploader = num_of(o, "uploader");
        m->created = (int64_t)num_of(o, "created");
        m->seq = num_of(o, "seq");
    }
    json_decref(o);
    return m;
}

static void add(files_t *f, files_meta_t *m)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
    }
    f->v[f->n++] = m;
}

/* ---- lifetime ---- */

files_t *files_open(const char *dir, uint64_t max_file, uint64_t quota)
{
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/meta", dir);
    if (mkdir_p(sub) < 0) {
        log_error("files: cannot make %s: %s", sub, strerror(errno));
        return NULL;
    }
    snprintf(sub, sizeof(sub), "%s/blobs", dir);
    if (mkdir_p(sub) < 0) {
        log_error("files: cannot make %s: %s", sub, strerror(errno));
        return NULL;
    }
    snprintf(sub, sizeof(sub), "%s/avatars", dir);
    if (mkdir_p(sub) < 0) {
        log_error("files: cannot make %s: %s", sub, strerror(errno));
        return NULL;
    }
    files_t *f = xcalloc(1, sizeof(*f));
    f->dir = xstrdup(dir);
    f->max_file = max_file;
    f->quota = quota;
    snprintf(sub, sizeof(sub), "%s/meta", dir);
    DIR *d = opendir(sub);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len != FILES_ID_LEN + 5 || strcmp(e->d_name + FILES_ID_LEN, ".json") != 0)
            continue;
        char id[FILES_ID_LEN + 1];
        memcpy(id, e->d_name, FILES_ID_LEN);
        id[FILES_ID_LEN] = '\0';
        files_meta_t *m = hex_id(id, FILES_ID_LEN, FILES_ID_LEN) ? meta_read(f, id) : NULL;
        if (m)
            add(f, m);
    }
    if (d)
        closedir(d);
    log_info("files: %s: %zu files", dir, f->n);
    return f;
}

void files_close(files_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        meta_free(f->v[i]);
    free(f->v);
    free(f->dir);
    free(f);
}

uint64_t files_max(const files_t *f)
{
    return f->max_file;
}

/* ---- records ---- */

static files_meta_t *find(files_t *f, const char *id, size_t len)
{
    if (!hex_id(id, len, FILES_ID_LEN))
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        if (memcmp(f->v[i]->id, id, FILES_ID_LEN) == 0)
            return f->v[i];
    char key[FILES_ID_LEN + 1];
    memcpy(key, id, FILES_ID_LEN);
    key[FILES_ID_LEN] = '\0';
    files_meta_t *m = meta_read(f, key); /* another process's upload */
    if (m)
        add(f, m);
    return m;
}

const files_meta_t *files_get(files_t *f, const char *id, size_t len)
{
    return find(f, id, len);
}

uint64_t files_used(const files_t *f, uint64_t user)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i]->uploader == user)
            sum += f->v[i]->size;
    return sum;
}

/* Bytes of the user's uploads in flight. */
static uint64_t in_flight(const files_t *f, uint64_t user)
{
    uint64_t sum = 0;
    for (const files_job_t *j = f->jobs; j; j = j->next)
        if (j->m->uploader == user)
            sum += j->len;
    return sum;
}

/* A name safe to show and to put in a header: its last path part, controls, quotes,
 * backslashes and bidi controls replaced by '_', at most FILES_NAME_MAX bytes cut at a
 * character boundary; "file" when nothing is left. */
static char *clean_name(const char *in)
{
    const char *slash = in ? strrchr(in, '/') : NULL;
    const char *s = slash ? slash + 1 : in ? in : "";
    size_t len = strlen(s);
    if (len > FILES_NAME_MAX) {
        len = FILES_NAME_MAX;
        while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (!utf8_valid((const uint8_t *)s, len))
        len = 0;
    char *out = xmalloc(len + 5);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* U+202A-202E and U+2066-2069 (bidi overrides): E2 80 AA-AE, E2 81 A6-A9. */
        if (c == 0xE2 && i + 2 < len &&
            (((unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] >= 0xAA &&
              (unsigned char)s[i + 2] <= 0xAE) ||
             ((unsigned char)s[i + 1] == 0x81 && (unsigned char)s[i + 2] >= 0xA6 &&
              (unsigned char)s[i + 2] <= 0xA9))) {
            out[n++] = '_';
            i += 2;
            continue;
        }
        out[n++] = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '_' : (char)c;
    }
    out[n] = '\0';
    if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        strcpy(out, "file");
    return out;
}

int files_put_begin(files_t *f, const files_put_t *in, files_job_t **job)
{
    if (!in->len || !in->channel || !in->channel[0])
        return FILES_EINVAL;
    if (in->len > f->max_file)
        return FILES_ETOOBIG;
    if (f->quota && files_used(f, in->uploader) + in_flight(f, in->uploader) + in->len > f->quota)
        return FILES_EQUOTA;
    files_job_t *j = xcalloc(1, sizeof(*j));
    files_meta_t *m = xcalloc(1, sizeof(*m));
    m->name = clean_name(in->name);
    m->channel = xstrdup(in->channel);
    m->size = in->len;
    m->w = in->w <= 100000 ? in->w : 0;
    m->h = in->h <= 100000 ? in->h : 0;
    m->uploader = in->uploader;
    m->created = clock_wall_ms();
    j->f = f;
    j->m = m;
    j->claimed = xstrdup(in->type ? in->type : "");
    j->data = xmalloc(in->len);
    memcpy(j->data, in->data, in->len);
    j->len = in->len;
    j->next = f->jobs;
    f->jobs = j;
    *job = j;
    return 0;
}

/* The blob of j's record, unless a blob of that size is there already. */
static int blob_write(const files_t *f, const files_job_t *j, bool durable)
{
    char path[4200], dir[4200];
    files_path(f, j->m, path, sizeof(path));
    snprintf(dir, sizeof(dir), "%s/blobs/%.2s", f->dir, j->m->sha);
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size == j->len)
        return 0;
    return mkdir_p(dir) < 0 ? FILES_EIO : write_whole(path, j->data, j->len, durable);
}

void files_put_work(files_job_t *j)
{
    files_meta_t *m = j->m;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, j->data, j->len);
    sodium_bin2hex(m->sha, sizeof(m->sha), hash, sizeof(hash));
    unsigned char raw[FILES_ID_LEN / 2];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(m->id, sizeof(m->id), raw, sizeof(raw));
    m->type = xstrdup(files_type(j->claimed, j->data, j->len));
    if (!files_inline(m->type))
        m->w = m->h = 0;
    j->rc = blob_write(j->f, j, true);
    if (j->rc == 0)
        j->rc = meta_write(j->f, m, true);
}

int files_put_end(files_t *f, files_job_t *j, const files_meta_t **out)
{
    for (files_job_t **pp = &f->jobs; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    int rc = j->rc;
    /* The blob was there when work looked, and its last record may have been released
     * since (files_release runs on this thread meanwhile): then it is written again. */
    if (rc == 0)
        rc = blob_write(f, j, true);
    if (rc == 0) {
        add(f, j->m);
        *out = j->m;
    } else {
        char path[4200];
        meta_path(f, j->m->id, path, sizeof(path));
        if (j->m->id[0])
            unlink(path);
        meta_free(j->m);
    }
    free(j->claimed);
    free(j->data);
    free(j);
    return rc;
}

int files_put(files_t *f, const files_put_t *in, const files_meta_t **out)
{
    files_job_t *j;
    int rc = files_put_begin(f, in, &j);
    if (rc < 0)
        return rc;
    files_put_work(j);
    return files_put_end(f, j, out);
}

void files_reserve(files_t *f, const char *id, bool on)
{
    files_meta_t *m = find(f, id, strlen(id));
    if (m)
        m->reserved = on;
}

int files_attach(files_t *f, const char *id, const char *channel, uint64_t seq)
{
    files_meta_t *m = find(f, id, strlen(id));
    if (!m || strcmp(m->channel, channel) != 0)
        return 0;
    m->reserved = false;
    if (m->seq == seq)
        return 0;
    m->seq = seq;
    return meta_write(f, m, false);
}

size_t files_release(files_t *f, const char *channel, uint64_t seq)
{
    size_t gone = 0;
    for (size_t i = 0; i < f->n;) {
        files_meta_t *m = f->v[i];
        if (m->seq != seq || strcmp(m->channel, channel) != 0) {
            i++;
            continue;
        }
        f->v[i] = f->v[--f->n];
        char path[4200];
        meta_path(f, m->id, path, sizeof(path));
        unlink(path);
        bool shared = false;
        for (size_t j = 0; j < f->n && !shared; j++)
            shared = strcmp(f->v[j]->sha, m->sha) == 0;
        if (!shared) {
            files_path(f, m, path, sizeof(path));
            unlink(path);
        }
        meta_free(m);
        gone++;
    }
    return gone;
}

/* ---- avatars ---- */

static void avatar_path(const files_t *f, const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/avatars/%s", f->dir, id);
}

int files_avatar_put(files_t *f, const void *data, size_t len, char id[65])
{
    if (len > FILES_AVATAR_MAX)
        return FILES_ETOOBIG;
    if (!len || !files_inline(files_type(NULL, data, len)))
        return FILES_EINVAL;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, data, len);
    sodium_bin2hex(id, 65, hash, sizeof(hash));
    char path[4200];
    avatar_path(f, id, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size == len)
        return 0;
    /* Not fsynced: this runs on the hub's loop (at most 1 MiB), and an avatar lost to a
     * power cut shows as the generated one (the page falls back when it fails to load). */
    return write_whole(path, data, len, false);
}

int files_avatar_get(files_t *f, const char *id, size_t len, char **data, size_t *size,
                     const char **type)
{
    char sha[65], path[4200];
    if (!hex_id(id, len, 64))
        return -1;
    memcpy(sha, id, 64);
    sha[64] = '\0';
    avatar_path(f, sha, path, sizeof(path));
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    char *buf = xmalloc(FILES_AVATAR_MAX + 1);
    size_t got = fread(buf, 1, FILES_AVATAR_MAX + 1, fp);
    fclose(fp);
    *type = files_type(NULL, buf, got);
    if (got == 0 || got > FILES_AVATAR_MAX || !files_inline(*type)) {
        free(buf);
        return -1;
    }
    *data = buf;
    *size = got;
    return 0;
}

void files_avatar_remove(files_t *f, const char *id)
{
    char path[4200];
    if (!hex_id(id, strlen(id), 64))
        return;
    avatar_path(f, id, path, sizeof(path));
    (void)unlink(path);
}

/* ---- types ---- */

static bool starts(const void *data, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(data, magic, n) == 0;
}

const char *files_type(const char *claimed, const void *data, size_t len)
{
    const unsigned char *d = data;
    if (starts(d, len, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (starts(d, len, "\xff\xd8\xff", 3))
        return "image/jpeg";
    if (starts(d, len, "GIF87a", 6) || starts(d, len, "GIF89a", 6))
        return "image/gif";
    if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "image/webp";
    if (starts(d, len, "%PDF-", 5))
        return "application/pdf";
    /* Text only when claimed as text and it is: never HTML, SVG or script, whatever the
     * claim (served as text/plain, they are inert). */
    if (claimed && strncmp(claimed, "text/", 5) == 0 && !memchr(d, '\0', len) && utf8_valid(d, len))
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

bool files_inline(const char *type)
{
    return strncmp(type, "image/", 6) == 0;
}

/* ---- JSON ---- */

static void put_str(buf_t *out, const char *key, const char *s)
{
    buf_appendf(out, ",\"%s\":", key);
    json_append_string(out, s, strlen(s));
}

void files_meta_json(buf_t *out, const files_meta_t *m)
{
    buf_appendf(out, "{\"id\":\"%s\"", m->id);
    put_str(out, "name", m->name);
    put_str(out, "type", m->type);
    buf_appendf(out, ",\"size\":%llu", (unsigned long long)m->size);
    if (m->w && m->h)
        buf_appendf(out, ",\"w\":%u,\"h\":%u", m->w, m->h);
    /* The name in the URL is for people and for saving: the server goes by the id. */
    buf_appendf(out, ",\"url\":\"/files/%s/", m->id);
    for (const unsigned char *p = (const unsigned char *)m->name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '-' || *p == '_')
            buf_append(out, p, 1);
        else
            buf_appendf(out, "%%%02X", *p);
    }
    buf_append_str(out, "\"}");
}

bool files_json_valid(const char *s)
{
    if (!s[0])
        return true;
    json_t *a = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    bool ok = json_is_array(a) && json_array_size(a) <= FILES_PER_MSG;
    for (size_t i = 0; ok && i < json_array_size(a); i++)
        ok = json_is_object(json_array_get(a, i));
    json_decref(a);
    return ok;
}
