/* slack_zip - the archive of a Slack export, read and written with libzip, every entry
 * treated as hostile.
 *
 * Reading: slack_zip_open checks the whole central directory before anything is read: at
 * most SLACK_ZIP_ENTRIES_MAX entries, each name a relative path without "..", a leading
 * '/', a backslash, a drive letter or a control character (zip-slip: nothing here is ever
 * written to disk, but such a name means a forged archive), each entry at most
 * SLACK_ZIP_ENTRY_MAX bytes and all of them SLACK_ZIP_TOTAL_MAX uncompressed, by their
 * declared sizes; slack_zip_json then reads at most the declared size plus one byte, so an
 * entry that lies about its size is refused too, and parses it with jansson (strict UTF-8,
 * no duplicate keys).
 *
 * Writing: entries go into PATH.tmp, renamed to PATH once libzip wrote it whole, so a
 * failed export leaves no half archive under the name asked for.
 *
 * Errors are one line into err (cap bytes), naming the entry. No logging. */
#ifndef PARLEY_SLACK_ZIP_H
#define PARLEY_SLACK_ZIP_H

#include <jansson.h>
#include <stddef.h>

#define SLACK_ZIP_ENTRIES_MAX 200000
#define SLACK_ZIP_ENTRY_MAX (64u << 20)        /* bytes of one JSON file */
#define SLACK_ZIP_TOTAL_MAX ((size_t)4u << 30) /* bytes of every entry, uncompressed */

typedef struct slack_zip slack_zip_t;

/* Opens and checks an archive for reading. NULL after a message in err. */
slack_zip_t *slack_zip_open(const char *path, char *err, size_t cap);
void slack_zip_close(slack_zip_t *z);
/* The entries, in the archive's order: i < slack_zip_count(z); names borrowed from z. */
size_t slack_zip_count(const slack_zip_t *z);
const char *slack_zip_name(const slack_zip_t *z, size_t i);
/* Reads entry `name` (exact) as JSON: 0 and *out (a new reference), 1 when there is no such
 * entry, -1 after a message in err. */
int slack_zip_json(slack_zip_t *z, const char *name, json_t **out, char *err, size_t cap);

typedef struct slack_zip_out slack_zip_out_t;

/* Starts PATH.tmp. NULL after a message in err. */
slack_zip_out_t *slack_zip_create(const char *path, char *err, size_t cap);
/* Adds `name` holding v as indented JSON (v borrowed). 0, or -1 after a message in err. */
int slack_zip_add(slack_zip_out_t *o, const char *name, const json_t *v, char *err, size_t cap);
/* Writes the archive and renames it to PATH (commit true), or drops it (false, or after a
 * failed add). 0, or -1 after a message in err; o is freed either way. */
int slack_zip_finish(slack_zip_out_t *o, int commit, char *err, size_t cap);

#endif
