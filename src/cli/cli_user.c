/* cli_user - `parley user add` and `parley user reset`; see cli_user.h.
 *
 * One store, one auth registry and one loop of its own, for one call: the answer is copied
 * out of auth's callback (its pointers live only during it), the loop is run until it came,
 * then the store closes (committing nothing more: the call's write is already committed) and
 * the loop runs out before auth is freed. */
#include "cli/cli_user.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "auth/auth_pass.h"
#include "base/term.h"
#include "base/utf8.h"
#include "store/store_open.h"

static void on_answer(void *ctx, const auth_result_t *r)
{
    cli_answer_t *a = ctx;
    a->done = true;
    a->status = r->status;
    if (r->user) {
        a->id = r->user->id;
        a->role = r->user->role;
    }
    if (r->invite)
        a->expires = r->invite->expires;
    if (r->token)
        snprintf(a->token, sizeof(a->token), "%s", r->token);
}

void cli_user_usage(FILE *f)
{
    fprintf(f,
            "usage: parley user add NAME [--role owner|admin|member] [--db PATH | --store URL]\n"
            "       parley user reset NAME [--db PATH | --store URL]\n"
            "add reads the password from stdin (one line, at least %d characters);\n"
            "reset prints a one-time link path /#reset=TOKEN, valid 24 hours.\n",
            AUTH_PASS_MIN);
}

int cli_user_parse(const char *verb, const char *name, const char *role, cli_user_t *out)
{
    if (!verb || (strcmp(verb, "add") != 0 && strcmp(verb, "reset") != 0)) {
        fprintf(stderr, "parley: user: the command is add or reset\n");
        return -1;
    }
    out->verb = strcmp(verb, "add") == 0 ? CLI_USER_ADD : CLI_USER_RESET;
    if (!name || !*name) {
        fprintf(stderr, "parley: user %s: give exactly one NAME\n", verb);
        return -1;
    }
    out->name = name;
    out->role = AUTH_MEMBER;
    if (role && (out->verb != CLI_USER_ADD || auth_role_parse(role, &out->role) < 0 ||
                 out->role == AUTH_GUEST)) {
        fprintf(stderr, "parley: user %s: --role is owner, admin or member (add only)\n", verb);
        return -1;
    }
    return 0;
}

/* The message for a refusal, as the command says it. */
static const char *refusal(auth_status_t st)
{
    switch (st) {
    case AUTH_E_NAME_TAKEN:
        return "name taken";
    case AUTH_E_WEAK_PASSWORD:
        return "weak password (at least 8 characters)";
    case AUTH_E_BAD_PASSWORD:
        return "password too long (at most 1024 bytes)";
    case AUTH_E_BAD_NAME:
        return "not a valid name";
    case AUTH_E_NOT_FOUND:
        return "no such user";
    default:
        return auth_status_text(st);
    }
}

/* Starts the add: the password, then auth_user_add. Returns 0, or 1 after a message. */
static int start_add(void *ctx, auth_t *a, auth_cb cb, void *ans)
{
    const cli_user_t *u = ctx;
    size_t len = 0;
    char *pw = term_read_secret("password: ", &len);
    if (!pw) {
        fprintf(stderr, "parley: user add: no password on stdin (one line)\n");
        return 1;
    }
    if (utf8_valid((const uint8_t *)pw, len) &&
        utf8_count((const uint8_t *)pw, len) < AUTH_PASS_MIN) {
        sodium_memzero(pw, len);
        free(pw);
        fprintf(stderr, "parley: user add: %s\n", refusal(AUTH_E_WEAK_PASSWORD));
        return 1;
    }
    auth_register_t reg = {
        .name = u->name,
        .name_len = strlen(u->name),
        .password = pw,
        .password_len = len,
        .role = u->role,
    };
    auth_user_add(a, &reg, cb, ans);
    sodium_memzero(pw, len);
    free(pw);
    return 0;
}

/* Starts the reset link of the named user. Returns 0, or 1 after a message. */
static int start_reset(void *ctx, auth_t *a, auth_cb cb, void *ans)
{
    const cli_user_t *u = ctx;
    const auth_user_t *user = auth_user_named(a, u->name, strlen(u->name));
    if (!user || user->role == AUTH_GUEST) {
        fprintf(stderr, "parley: user reset: no account named '%s'\n", u->name);
        return 1;
    }
    auth_reset_create(a, NULL, user->id, cb, ans);
    return 0;
}

static void report(const cli_user_t *u, const cli_answer_t *ans)
{
    if (u->verb == CLI_USER_ADD) {
        printf("added %s (%s, id %llu)\n", u->name, auth_role_name(ans->role),
               (unsigned long long)ans->id);
        return;
    }
    char when[40] = "?";
    time_t t = (time_t)(ans->expires / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("/#reset=%s\nexpires %s\n", ans->token, when);
}

int cli_auth_run(const char *store_url, const auth_config_t *cfg, const char *what,
                 cli_auth_start_fn start, void *ctx, const char *(*why)(auth_status_t),
                 cli_answer_t *ans)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        fprintf(stderr, "parley: %s: cannot start an event loop\n", what);
        return 1;
    }
    store_t *store = NULL;
    store_open_opts_t so = {.bump_accounts = true};
    if (store_open(&loop, store_url, &so, &store) < 0) {
        (void)uv_loop_close(&loop);
        return 1; /* store_open logged why */
    }
    auth_t *a = auth_new(&loop, store, cfg);
    *ans = (cli_answer_t){0};
    int rc = 1;
    char shown[512];
    if (!a || auth_load(a) < 0)
        fprintf(stderr, "parley: %s: cannot read the accounts of %s\n", what,
                store_url_shown(store_url, shown, sizeof(shown)));
    else
        rc = start(ctx, a, on_answer, ans);
    while (rc == 0 && !ans->done && uv_run(&loop, UV_RUN_ONCE) != 0)
        ;
    if (rc == 0 && !ans->done)
        ans->status = AUTH_E_UNAVAILABLE; /* the loop ran out without an answer */
    if (rc == 0 && ans->status != AUTH_OK) {
        fprintf(stderr, "parley: %s: %s\n", what,
                why ? why(ans->status) : auth_status_text(ans->status));
        rc = 1;
    }
    store_close(store);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (a)
        auth_free(a);
    (void)uv_loop_close(&loop);
    return rc;
}

int cli_user_run(const cli_user_t *u)
{
    cli_answer_t ans;
    bool add = u->verb == CLI_USER_ADD;
    int rc = cli_auth_run(u->store_url, &u->auth, add ? "user add" : "user reset",
                          add ? start_add : start_reset, (void *)u, refusal, &ans);
    if (rc == 0)
        report(u, &ans);
    return rc;
}
