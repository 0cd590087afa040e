/* client_auth: the token file: one line per server (any spelling of its URL), 0600 in a
 * 0700 directory made on demand, replaced and forgotten line by line, refused when others
 * can read it; the directory from XDG_CONFIG_HOME or HOME. */
#include "client/client_auth.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char root[64];

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

TEST(test_dir_from_env)
{
    char out[256];
    setenv("HOME", "/home/ann", 1);
    unsetenv("XDG_CONFIG_HOME");
    CHECK_EQ_INT(client_auth_dir(out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/home/ann/.config/parley");
    setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
    CHECK_EQ_INT(client_auth_dir(out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/tmp/xdg/parley");
    setenv("XDG_CONFIG_HOME", "relative", 1); /* invalid by the spec: ignored */
    CHECK_EQ_INT(client_auth_dir(out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/home/ann/.config/parley");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    CHECK_EQ_INT(client_auth_dir(out, sizeof(out)), -1);
    setenv("HOME", "/home/ann", 1);
    CHECK_EQ_INT(client_auth_dir(out, 8), -1);
}

TEST(test_tokens)
{
    char dir[128], file[160];
    snprintf(dir, sizeof(dir), "%s/deep/parley", root);
    snprintf(file, sizeof(file), "%s/tokens", dir);
    const char *err = NULL;
    CHECK(client_auth_token_load(dir, "http://h:8000", &err) == NULL);
    CHECK(err == NULL); /* none yet is no error */
    CHECK_EQ_INT(client_auth_token_save(dir, "http://h:8000/", "aaaa", &err), 0);
    CHECK_EQ_INT(mode_of(dir), 0700);
    CHECK_EQ_INT(mode_of(file), 0600);
    CHECK_EQ_INT(client_auth_token_save(dir, "https://H/chat", "bbbb", &err), 0);
    /* Any spelling of a server finds its line; others find nothing. */
    char *t = client_auth_token_load(dir, "ws://h:8000/ws", &err);
    CHECK(t && !strcmp(t, "aaaa"));
    free(t);
    t = client_auth_token_load(dir, "wss://h:443/chat/", &err);
    CHECK(t && !strcmp(t, "bbbb"));
    free(t);
    CHECK(client_auth_token_load(dir, "http://h:8001", &err) == NULL);
    CHECK(client_auth_token_load(dir, "https://h", &err) == NULL);
    /* Replaced in place, the other kept. */
    CHECK_EQ_INT(client_auth_token_save(dir, "http://h:8000", "cccc", &err), 0);
    t = client_auth_token_load(dir, "http://h:8000", &err);
    CHECK(t && !strcmp(t, "cccc"));
    free(t);
    t = client_auth_token_load(dir, "https://h/chat", &err);
    CHECK(t && !strcmp(t, "bbbb"));
    free(t);
    CHECK_EQ_INT(mode_of(file), 0600);
    /* Forgotten. */
    CHECK_EQ_INT(client_auth_token_forget(dir, "http://h:8000", &err), 0);
    CHECK(client_auth_token_load(dir, "http://h:8000", &err) == NULL);
    t = client_auth_token_load(dir, "https://h/chat", &err);
    CHECK(t && !strcmp(t, "bbbb"));
    free(t);
    /* Not tokens, not URLs. */
    CHECK_EQ_INT(client_auth_token_save(dir, "http://h", "a b", &err), -1);
    CHECK_EQ_INT(client_auth_token_save(dir, "http://h", "", &err), -1);
    CHECK_EQ_INT(client_auth_token_save(dir, "nonsense", "aaaa", &err), -1);
    /* A file others may read is refused, not used. */
    chmod(file, 0644);
    err = NULL;
    CHECK(client_auth_token_load(dir, "https://h/chat", &err) == NULL);
    CHECK(err && strstr(err, "chmod"));
    CHECK_EQ_INT(client_auth_token_save(dir, "http://h", "dddd", &err), -1);
    chmod(file, 0600);
    /* A directory others could enter is closed again. */
    chmod(dir, 0755);
    CHECK_EQ_INT(client_auth_token_save(dir, "http://h", "dddd", &err), 0);
    CHECK_EQ_INT(mode_of(dir), 0700);
    unlink(file);
    rmdir(dir);
    snprintf(dir, sizeof(dir), "%s/deep", root);
    rmdir(dir);
}

int main(void)
{
    umask(022);
    snprintf(root, sizeof(root), "/tmp/parley-auth-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_dir_from_env);
    RUN(test_tokens);
    rmdir(root);
    return TEST_MAIN_END();
}
