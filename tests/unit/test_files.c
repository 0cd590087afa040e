/* test_files - the uploads' store: names, types, content addressing, quota, records across
 * a reopen, release of what no record names. */
#include "files/files.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char dir[64];

static const files_meta_t *put(files_t *f, uint64_t user, const char *name, const char *type,
                               const char *data)
{
    const files_meta_t *m = NULL;
    files_put_t in = {.uploader = user,
                      .channel = "general",
                      .name = name,
                      .type = type,
                      .w = 40,
                      .h = 30,
                      .data = data,
                      .len = strlen(data)};
    CHECK_EQ_INT(files_put(f, &in, &m), 0);
    return m;
}

static bool blob_exists(files_t *f, const files_meta_t *m)
{
    char path[4200];
    struct stat st;
    files_path(f, m, path, sizeof(path));
    return stat(path, &st) == 0;
}

TEST(test_types)
{
    CHECK_EQ_STR(files_type("image/png", "\x89PNG\r\n\x1a\nrest", 12), "image/png");
    CHECK_EQ_STR(files_type(NULL, "\xff\xd8\xff\xe0", 4), "image/jpeg");
    CHECK_EQ_STR(files_type(NULL, "GIF89a..", 8), "image/gif");
    CHECK_EQ_STR(files_type(NULL, "RIFF1234WEBPVP8 ", 16), "image/webp");
    CHECK_EQ_STR(files_type("text/plain", "%PDF-1.7", 8), "application/pdf");
    CHECK_EQ_STR(files_type("text/html", "<script>", 8), "text/plain; charset=utf-8");
    CHECK_EQ_STR(files_type("image/svg+xml", "<svg/>", 6), "application/octet-stream");
    CHECK_EQ_STR(files_type("image/png", "not png", 7), "application/octet-stream");
    CHECK_EQ_STR(files_type("text/plain", "a\0b", 3), "application/octet-stream");
    CHECK_EQ_STR(files_type("text/plain", "\xff\xfe", 2), "application/octet-stream");
    CHECK(files_inline("image/gif") && !files_inline("application/pdf"));
}

TEST(test_names_dedupe_quota_release)
{
    files_t *f = files_open(dir, 100, 50);
    CHECK(f != NULL);
    if (!f)
        return;
    const files_meta_t *a = put(f, 1, "../../x.txt", "text/plain", "same bytes");
    const files_meta_t *b = put(f, 1, "a\"b\\c\r\n", NULL, "same bytes");
    CHECK_EQ_STR(a->name, "x.txt");
    CHECK_EQ_STR(b->name, "a_b_c__");
    CHECK_EQ_STR(a->sha, b->sha);
    CHECK(strcmp(a->id, b->id) != 0);
    CHECK_EQ_INT(a->w, 0); /* not an image: no size kept */
    CHECK_EQ_INT(files_used(f, 1), 20);
    const files_meta_t *m = NULL;
    files_put_t big = {.uploader = 1, .channel = "general", .data = "x", .len = 101};
    CHECK_EQ_INT(files_put(f, &big, &m), FILES_ETOOBIG);
    files_put_t over = {.uploader = 1,
                        .channel = "general",
                        .data = "0123456789abcdefghijklmnopqrstuvwxyz",
                        .len = 31};
    CHECK_EQ_INT(files_put(f, &over, &m), FILES_EQUOTA);
    files_put_t empty = {.uploader = 1, .channel = "general", .data = "", .len = 0};
    CHECK_EQ_INT(files_put(f, &empty, &m), FILES_EINVAL);
    CHECK(files_get(f, a->id, strlen(a->id)) == a);
    CHECK(files_get(f, "../meta", 7) == NULL);
    char aid[FILES_ID_LEN + 1], bid[FILES_ID_LEN + 1];
    strcpy(aid, a->id);
    strcpy(bid, b->id);
    CHECK_EQ_INT(files_attach(f, aid, "general", 7), 0);
    CHECK_EQ_INT(files_attach(f, bid, "general", 8), 0);
    /* Records survive a reopen, with the message that carries them. */
    files_close(f);
    f = files_open(dir, 100, 50);
    a = files_get(f, aid, strlen(aid));
    b = files_get(f, bid, strlen(bid));
    CHECK(a && b && a->seq == 7 && b->seq == 8 && strcmp(a->name, "x.txt") == 0);
    if (!a || !b) {
        files_close(f);
        return;
    }
    /* One record goes, its bytes stay for the other; then both go. */
    CHECK_EQ_INT(files_release(f, "general", 7), 1);
    CHECK(files_get(f, aid, strlen(aid)) == NULL);
    CHECK(blob_exists(f, b));
    files_meta_t keep = *b;
    CHECK_EQ_INT(files_release(f, "general", 8), 1);
    CHECK(!blob_exists(f, &keep));
    CHECK_EQ_INT(files_used(f, 1), 0);
    files_close(f);
}

/* Uploads in flight (begun, not ended) count against the quota, so two at once cannot
 * pass it together; a blob released while an upload of the same bytes was being written is
 * written again when that upload ends; a job ends once. */
TEST(test_uploads_in_flight)
{
    files_t *f = files_open(dir, 100, 50);
    CHECK(f != NULL);
    if (!f)
        return;
    files_put_t in = {
        .uploader = 2, .channel = "general", .data = "thirty bytes of a file 1234567", .len = 30};
    files_job_t *j1 = NULL, *j2 = NULL;
    CHECK_EQ_INT(files_put_begin(f, &in, &j1), 0);
    CHECK_EQ_INT(files_put_begin(f, &in, &j2), FILES_EQUOTA); /* 30 in flight + 30 > 50 */
    CHECK_EQ_INT(files_used(f, 1), 0); /* another user's quota is untouched */
    /* The same bytes are stored and posted by user 3 meanwhile, then deleted. */
    const files_meta_t *other = put(f, 3, "other.txt", NULL, "thirty bytes of a file 1234567");
    CHECK_EQ_INT(files_attach(f, other->id, "general", 9), 0);
    files_put_work(j1); /* sees the blob there: writes only its record */
    CHECK_EQ_INT(files_release(f, "general", 9), 1);
    const files_meta_t *m = NULL;
    CHECK_EQ_INT(files_put_end(f, j1, &m), 0);
    CHECK(m && blob_exists(f, m));
    CHECK_EQ_INT(files_used(f, 2), 30);
    /* Ended: no longer in flight, and the quota counts the record. */
    files_put_t small = {
        .uploader = 2, .channel = "general", .data = "0123456789abcdefghij", .len = 20};
    CHECK_EQ_INT(files_put_begin(f, &small, &j2), 0);
    files_put_work(j2);
    CHECK_EQ_INT(files_put_end(f, j2, &m), 0);
    CHECK_EQ_INT(files_put_begin(f, &small, &j2), FILES_EQUOTA);
    files_close(f);
}

TEST(test_json)
{
    CHECK(files_json_valid(""));
    CHECK(files_json_valid("[{\"id\":\"x\"}]"));
    CHECK(!files_json_valid("{}"));
    CHECK(!files_json_valid("[1]"));
    CHECK(!files_json_valid("[{}]x"));
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/parley-files-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_types);
    RUN(test_names_dedupe_quota_release);
    RUN(test_uploads_in_flight);
    RUN(test_json);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return TEST_MAIN_END();
}
