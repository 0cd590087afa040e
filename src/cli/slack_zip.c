/* slack_zip - a Slack export's archive through libzip; see slack_zip.h.
 *
 * The reader keeps libzip's handle open and the names it checked; the writer hands libzip
 * each entry's JSON text as a buffer it frees (zip_source_buffer with freep), since libzip
 * writes everything at zip_close. */
#include "cli/slack_zip.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/xmalloc.h"

struct slack_zip {
    zip_t *zip;
    size_t n;
    char **names; /* the checked names, by index */
};

struct slack_zip_out {
    zip_t *zip;
    char *path, *tmp;
};

static void say(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* A name that stays inside the archive's folder when unpacked (see the header). */
static bool name_safe(const char *s)
{
    if (!*s || s[0] == '/' || (s[0] && s[1] == ':'))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    for (const char *p = s; p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p = slash ? slash + 1 : NULL;
    }
    return true;
}

/* Every entry's name and declared size. 0, or -1 after a message. */
static int check_entries(slack_zip_t *z, char *err, size_t cap)
{
    size_t total = 0;
    z->names = xcalloc(z->n ? z->n : 1, sizeof(*z->names));
    for (size_t i = 0; i < z->n; i++) {
        zip_stat_t st;
        if (zip_stat_index(z->zip, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE)) {
            say(err, cap, "entry %zu: unreadable in the directory", i);
            return -1;
        }
        if (!name_safe(st.name)) {
            say(err, cap, "entry '%s' names a path outside the archive", st.name);
            return -1;
        }
        if (st.size > SLACK_ZIP_ENTRY_MAX && strstr(st.name, ".json")) {
            say(err, cap, "entry '%s' is too large (over 64 MiB)", st.name);
            return -1;
        }
        total += st.size;
        if (total > SLACK_ZIP_TOTAL_MAX) {
            say(err, cap, "the archive is too large (over 4 GiB unpacked)");
            return -1;
        }
        z->names[i] = xstrdup(st.name);
    }
    return 0;
}

slack_zip_t *slack_zip_open(const char *path, char *err, size_t cap)
{
    int code = 0;
    zip_t *zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!zip) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        say(err, cap, "%s: not a readable zip archive (%s)", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return NULL;
    }
    slack_zip_t *z = xcalloc(1, sizeof(*z));
    z->zip = zip;
    zip_int64_t n = zip_get_num_entries(zip, 0);
    if (n < 0 || n > SLACK_ZIP_ENTRIES_MAX) {
        say(err, cap, "%s: too many entries (at most 200000)", path);
        slack_zip_close(z);
        return NULL;
    }
    z->n = (size_t)n;
    if (check_entries(z, err, cap) < 0) {
        slack_zip_close(z);
        return NULL;
    }
    return z;
}

void slack_zip_close(slack_zip_t *z)
{
    if (!z)
        return;
    for (size_t i = 0; z->names && i < z->n; i++)
        free(z->names[i]);
    free(z->names);
    zip_discard(z->zip);
    free(z);
}

size_t slack_zip_count(const slack_zip_t *z)
{
    return z->n;
}

const char *slack_zip_name(const slack_zip_t *z, size_t i)
{
    return z->names[i];
}

/* The bytes of entry i, at most SLACK_ZIP_ENTRY_MAX: a new buffer and *len, or NULL after a
 * message. */
static char *read_entry(slack_zip_t *z, size_t i, size_t *len, char *err, size_t cap)
{
    zip_file_t *f = zip_fopen_index(z->zip, i, 0);
    if (!f) {
        say(err, cap, "%s: cannot be read (%s)", z->names[i], zip_strerror(z->zip));
        return NULL;
    }
    size_t have = 0, room = 65536;
    char *data = xmalloc(room + 1);
    for (;;) {
        if (have == room) {
            if (room > SLACK_ZIP_ENTRY_MAX) {
                say(err, cap, "%s: larger than 64 MiB once unpacked", z->names[i]);
                goto fail;
            }
            room *= 2;
            data = xrealloc(data, room + 1);
        }
        zip_int64_t got = zip_fread(f, data + have, room - have);
        if (got < 0) {
            say(err, cap, "%s: corrupt (%s)", z->names[i], zip_file_strerror(f));
            goto fail;
        }
        if (got == 0)
            break;
        have += (size_t)got;
    }
    if (have > SLACK_ZIP_ENTRY_MAX) {
        say(err, cap, "%s: larger than 64 MiB once unpacked", z->names[i]);
        goto fail;
    }
    zip_fclose(f);
    data[have] = '\0';
    *len = have;
    return data;
fail:
    zip_fclose(f);
    free(data);
    return NULL;
}

int slack_zip_json(slack_zip_t *z, const char *name, json_t **out, char *err, size_t cap)
{
    size_t i = 0;
    while (i < z->n && strcmp(z->names[i], name) != 0)
        i++;
    if (i == z->n)
        return 1;
    size_t len = 0;
    char *data = read_entry(z, i, &len, err, cap);
    if (!data)
        return -1;
    json_error_t je;
    *out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    free(data);
    if (!*out) {
        char where[64];
        snprintf(where, sizeof(where), "line %d: %.40s", je.line, je.text);
        say(err, cap, "%s: bad JSON (%s)", name, where);
        return -1;
    }
    return 0;
}

slack_zip_out_t *slack_zip_create(const char *path, char *err, size_t cap)
{
    slack_zip_out_t *o = xcalloc(1, sizeof(*o));
    o->path = xstrdup(path);
    size_t n = strlen(path) + 5;
    o->tmp = xmalloc(n);
    snprintf(o->tmp, n, "%s.tmp", path);
    int code = 0;
    o->zip = zip_open(o->tmp, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!o->zip) {
        say(err, cap, "%s: cannot be created", o->tmp);
        free(o->tmp);
        free(o->path);
        free(o);
        return NULL;
    }
    return o;
}

int slack_zip_add(slack_zip_out_t *o, const char *name, const json_t *v, char *err, size_t cap)
{
    char *text = json_dumps(v, JSON_INDENT(1));
    if (!text) {
        say(err, cap, "%s: cannot be encoded", name);
        return -1;
    }
    zip_source_t *src = zip_source_buffer(o->zip, text, strlen(text), 1);
    if (!src) {
        free(text);
        say(err, cap, "%s: %s", name, zip_strerror(o->zip));
        return -1;
    }
    if (zip_file_add(o->zip, name, src, ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(src);
        say(err, cap, "%s: %s", name, zip_strerror(o->zip));
        return -1;
    }
    return 0;
}

int slack_zip_finish(slack_zip_out_t *o, int commit, char *err, size_t cap)
{
    int rc = 0;
    if (!commit) {
        zip_discard(o->zip);
        (void)remove(o->tmp);
    } else if (zip_close(o->zip) != 0) {
        say(err, cap, "%s: %s", o->tmp, zip_strerror(o->zip));
        zip_discard(o->zip);
        (void)remove(o->tmp);
        rc = -1;
    } else if (rename(o->tmp, o->path) != 0) {
        say(err, cap, "%s: cannot be renamed to %s", o->tmp, o->path);
        (void)remove(o->tmp);
        rc = -1;
    }
    free(o->tmp);
    free(o->path);
    free(o);
    return rc;
}
