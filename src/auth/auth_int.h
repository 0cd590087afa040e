/* auth_int - what the files of the accounts registry share (not for other modules):
 *   auth.c        the registry: lifetime, tables and lookups, sessions, the operations'
 *                 plumbing (store writes, rollback, answers), auth_tick, status texts;
 *   auth_load.c   reading the accounts from the store, at start and when they changed
 *                 elsewhere, merged in place;
 *   auth_acct.c   what a person does with their account: register, sign in and out,
 *                 passwords, reset links, display names;
 *   auth_admin.c  what owners and admins do: roles, bans, invites, reset links;
 *   auth_profile.c the profile: display name, title, time zone, avatar, in one write;
 *   auth_guest.c  guests, client-id guests, line-mode names, connection counts, the
 *                 request rate limit.
 *
 * Memory mirrors the store. A change is made in memory first (so that what the loop sees
 * next is already the new state: a name being registered is taken, a revoked session is
 * gone), then written; a write that fails is undone in memory where it can be, and marks
 * the registry for a re-read of the store (the store is the truth after a failure). */
#ifndef PARLEY_AUTH_INT_H
#define PARLEY_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/auth_limit.h"
#include "auth/auth_map.h"
#include "auth/auth_name.h"
#include "auth/auth_pass.h"
#include "auth/auth_rate.h"

#define AUTH_MINUTE_MS ((int64_t)60 * 1000)
#define AUTH_HOUR_MS (60 * AUTH_MINUTE_MS)
#define AUTH_DAY_MS (24 * AUTH_HOUR_MS)

#define AUTH_SEEN_WRITE_MS AUTH_MINUTE_MS /* `seen` is written at most this often */
#define AUTH_SWEEP_MS AUTH_MINUTE_MS      /* expired sessions are dropped this often */
#define AUTH_STALE_READ_MS 250            /* auth_reload_stale reads at most this often */
#define AUTH_TOKEN_CAP 1024               /* bytes of a presented token looked at, at most */
#define AUTH_USER_SESSIONS 100            /* sessions of one user; past it the oldest ends */
#define AUTH_DISPLAY_MAX 64               /* code points of a display name */
#define AUTH_LOOKUP_CHARS 256             /* code points of a name looked up (any --max-name) */
#define AUTH_RESET_TTL_MS AUTH_DAY_MS
#define AUTH_INVITE_TTL_MS (7 * AUTH_DAY_MS) /* an invite asked for with no lifetime */

/* Rate limits (auth_limit.h): failed sign-ins per account and per address, registrations
 * and new guests per address. Each table holds at most AUTH_LIMIT_KEYS keys. */
#define AUTH_LIMIT_KEYS 4096
#define AUTH_FAIL_ACCOUNT_MAX 5
#define AUTH_FAIL_ADDR_MAX 20
#define AUTH_FAIL_WINDOW_MS (15 * AUTH_MINUTE_MS)
#define AUTH_REGISTER_MAX 10
#define AUTH_REGISTER_WINDOW_MS AUTH_HOUR_MS
#define AUTH_GUEST_WINDOW_MS AUTH_MINUTE_MS
#define AUTH_RATE_ADDR_KEYS 4096 /* addresses whose request buckets are kept (auth_rate.h) */

typedef struct sess sess_t;

typedef struct user {
    auth_user_t pub;      /* first: a const auth_user_t * from auth.h is a user_t * */
    sess_t *sessions;     /* newest first */
    int64_t seen_written; /* the `seen` last written */
    unsigned inflight;    /* operations writing the user's rows (or its sessions') now */
    bool reserved;        /* a registration holding its name: not in the table yet, no id */
    bool canon_lost;      /* load: no canonical form could be given to it (warned once) */
} user_t;

struct sess {
    auth_session_t pub; /* first, as above */
    sess_t *next;       /* the user's sessions */
    int64_t seen_written;
    unsigned mark; /* auth_load: seen in this read */
};

typedef struct {
    auth_invite_t pub; /* first, as above */
    unsigned inflight;
} invite_t;

struct auth {
    struct uv_loop_s *loop;
    store_t *store;
    auth_config_t cfg;
    auth_pass_t *pass;
    auth_revoke_cb revoke;
    void *revoke_ctx;
    auth_elsewhere_cb elsewhere; /* a user online on another process (NULL: alone) */
    void *elsewhere_ctx;

    user_t **users; /* by id, ascending; never shrinks (users are never freed) */
    size_t nusers, cap_users;
    auth_map_t by_canon; /* canonical name -> user_t (registrations in progress too) */
    auth_map_t by_hash;  /* session token hash -> sess_t */
    auth_map_t by_sid;   /* session id (uint64_t bytes) -> sess_t */
    invite_t **invites;  /* by id, ascending */
    size_t ninvites, cap_invites;
    auth_map_t inv_by_hash;   /* invite token hash -> invite_t */
    struct auth_hook **hooks; /* incoming webhooks, in creation order (auth_hook.c) */
    size_t nhooks, cap_hooks;

    /* Ids: the next is the highest loaded + 1. Two processes assigning ids at once (the
     * command line while a server runs) is issue 13's: the store refuses a taken id
     * (USER_CREATE answers ECONFLICT) and we answer as for a taken name. */
    uint64_t next_user, next_session, next_invite, next_hook;

    uint64_t version;   /* store_accounts_version at the last read */
    bool reload_due;    /* read the accounts again at the next chance */
    unsigned creating;  /* user and invite rows being created: no re-read meanwhile */
    int64_t stale_read; /* when auth_reload_stale last read (it reads at most so often) */
    bool owner_pending; /* a registration became the owner; its row is not committed yet */
    unsigned mark;      /* auth_load's read counter */
    int64_t next_sweep; /* when expired sessions are dropped next */

    auth_limit_t *fail_account, *fail_addr, *register_addr, *guest_addr;
    auth_rates_t *rate_addr;  /* request buckets per address (auth_rate_take) */
    auth_limit_t *links_made; /* invite and reset links made per creator (user id) a day */
};

/* ---- tables (auth.c) ---- */

user_t *auth_users_find(const auth_t *a, uint64_t id);
/* Puts u (with its id) into the table by id. */
void auth_users_insert(auth_t *a, user_t *u);
/* A new user_t (not in any table) with copies of the strings; canon/pass may be NULL. */
user_t *auth_user_alloc(const char *name, const char *canon, const char *display, const char *pass);
void auth_user_free(user_t *u);
/* Replaces a string field (v copied; NULL allowed). */
void auth_str_set(char **field, const char *v);
/* The user holding canon (a reservation included), or NULL. */
user_t *auth_holder(const auth_t *a, const char *canon);
/* Gives u the canonical name canon (NULL: none) in memory, keeping by_canon in step. */
void auth_canon_set(auth_t *a, user_t *u, const char *canon);
/* The canonical form of a valid name of at most max_chars code points into out, or false. */
bool auth_canon_of(const char *name, size_t len, size_t max_chars, char out[AUTH_CANON_MAX]);
bool auth_owner_active_only(const auth_t *a, const user_t *u);

sess_t *auth_sess_find(const auth_t *a, uint64_t id);
/* A new id for a user, a session or an invite: the counter's next (advanced), or with
 * cfg.shared_ids one drawn at random (the counter untouched). */
uint64_t auth_new_id(auth_t *a, uint64_t *next);
/* A new session of u from its token hash, in every table; id 0: the next one. */
sess_t *auth_sess_add(auth_t *a, user_t *u, uint64_t id, const char hash[AUTH_HASH_HEX + 1],
                      int64_t created, int64_t seen, int64_t expires, const char *agent,
                      const char *addr);
/* A new session of u with a fresh token (into token) at now. */
sess_t *auth_sess_open(auth_t *a, user_t *u, int64_t now, const char *agent, const char *addr,
                       char token[AUTH_SESSION_HEX + 1]);
void auth_sess_drop(auth_t *a, sess_t *s);
/* Ends s quietly (expiry: no revoke callback) and deletes its row behind. */
void auth_sess_expire(auth_t *a, sess_t *s);
/* Drops every session of u but except (0: none kept) from memory; returns how many, and
 * their ids in *ids (the caller frees it) unless ids is NULL. */
size_t auth_sess_drop_user(auth_t *a, user_t *u, uint64_t except, uint64_t **ids);
/* Whether s is alive at now (user active, neither idle nor past its end). */
bool auth_sess_live(const auth_t *a, const sess_t *s, int64_t now);

invite_t *auth_invite_find(const auth_t *a, uint64_t id);
void auth_invite_insert(auth_t *a, invite_t *inv);

/* Calls the revoke callback, if any. */
void auth_revoked(auth_t *a, uint64_t user_id, uint64_t session_id, uint16_t code);

/* Store rows of memory objects (strings borrowed from them). */
void auth_user_row(const user_t *u, store_user_t *row);
void auth_sess_row(const sess_t *s, store_session_t *row);
void auth_invite_row(const invite_t *inv, store_invite_t *row);

/* ---- operations (auth.c) ----
 * An op carries one request from its call to its answer: the hash it waits for, the store
 * writes it submitted (each answered once, in submission order), and what it must undo if
 * a write fails. While it writes a user's or an invite's rows it holds them (inflight), so
 * a re-read of the store does not overwrite what is not committed yet. */
typedef struct op op_t;
typedef void (*op_fn)(op_t *op);

struct op {
    auth_t *a;
    auth_cb cb; /* NULL: written behind, a failure is logged */
    void *ctx;
    op_fn next;       /* runs when every write submitted so far was answered */
    user_t *u;        /* the user it holds, or NULL */
    invite_t *inv;    /* the invite it holds, or NULL */
    unsigned pending; /* writes not answered yet */
    int status;       /* 0, or the first failure a write answered (STORE_E*) */
    bool creating;    /* counted in a->creating */
    const char *what; /* for the log */

    /* what the kinds of operation keep */
    user_t *reserved; /* a registration's user until its row is committed */
    uint64_t sid;     /* a session made or kept by it */
    uint64_t target;
    int64_t now;
    char token[AUTH_SESSION_HEX + 1]; /* a new session's token */
    char secret[AUTH_INVITE_HEX + 1]; /* a new invite's or reset link's token */
    char *pw;                         /* a new password, wiped when the op ends */
    size_t pw_len;
    char *old_pass, *new_pass; /* a password change to undo */
    char *addr, *agent;
    auth_role_t role, old_role;
    auth_state_t old_state, state;
    char *old_display, *new_display;
    char *old_title, *old_tz, *old_avatar; /* a profile change to undo (auth_profile.c) */
    char *key;              /* a sign-in's canonical name (the per-account limit's key) */
    invite_t *fresh;        /* an invite or reset link until its row is committed */
    struct auth_hook *hook; /* a webhook until its row is committed */
    bool first;             /* registering while no owner existed */
    bool owner;             /* registering as the first owner (a->owner_pending) */
    bool use_counted;       /* an invite use counted in memory */
};

op_t *auth_op_new(auth_t *a, const char *what, auth_cb cb, void *ctx);
/* The op holds u (or inv) until it ends. */
void auth_op_hold(op_t *op, user_t *u);
void auth_op_hold_invite(op_t *op, invite_t *inv);
/* Submits a write; its answer counts towards op->pending. */
void auth_op_write(op_t *op, const store_change_t *c);
/* Runs next once every write submitted so far was answered (at once if none is pending). */
void auth_op_then(op_t *op, op_fn next);
/* Ends the op: releases what it holds, answers (cb) with r (status, ...) and frees it. */
void auth_op_end(op_t *op, const auth_result_t *r);
/* Ends with a bare status. */
void auth_op_fail(op_t *op, auth_status_t st);
/* Ends a write-behind op: OK, or UNAVAILABLE when a write failed (logged). */
void auth_op_end_behind(op_t *op);
/* Answers a request that never became an op (a refusal before any work). */
void auth_answer(auth_cb cb, void *ctx, auth_status_t st, unsigned retry_after);
/* The status a failed write answers: NAME_TAKEN for a conflict, else UNAVAILABLE. */
auth_status_t auth_op_store_status(const op_t *op);

/* Write-behind helpers (no answer; a failure is logged). */
void auth_write_user(auth_t *a, user_t *u, const char *what);
void auth_write_session(auth_t *a, sess_t *s, const char *what);
/* Writes `seen` of u (and of session s, if any) behind when due. */
void auth_touch(auth_t *a, user_t *u, sess_t *s, int64_t now);

/* ---- webhooks (auth_hook.c) ---- */

/* Puts h into the table (taken over). */
void auth_hook_insert(auth_t *a, struct auth_hook *h);
void auth_hook_free(struct auth_hook *h);
void auth_hook_row(const struct auth_hook *h, store_hook_t *row);
/* A row read from the store: a new hook added, a revocation applied (never undone). */
void auth_hook_merge(auth_t *a, const store_hook_t *row);

/* ---- the rest ---- */

/* auth_load.c: reads the accounts and merges them into memory. 0 or < 0. */
int auth_reload(auth_t *a);
/* auth.c: reads the accounts now if the store's version moved since the last read and
 * the last such read is AUTH_STALE_READ_MS old (a token nobody here knows must not buy a
 * whole read each); true when it read. */
bool auth_reload_stale(auth_t *a, int64_t now);
/* auth_guest.c: lets guest holds that lapsed go (auth_tick). */
void auth_guest_lapse(auth_t *a, int64_t now);
bool auth_guest_lapsed(const auth_t *a, const user_t *u, int64_t now);
/* auth_acct.c: whether a new password may be used (AUTH_OK, WEAK_PASSWORD, BAD_PASSWORD). */
auth_status_t auth_password_ok(const char *pw, size_t len);

/* ---- with an explicit clock (tests; the public calls use clock_wall_ms) ---- */

void auth_tick_at(auth_t *a, int64_t now);
const auth_session_t *auth_session_check_at(auth_t *a, const char *token, size_t len, int64_t now);
auth_status_t auth_guest_at(auth_t *a, const char *name, size_t len, const char *token,
                            const char *addr, const auth_user_t **user,
                            char token_out[AUTH_SESSION_HEX + 1], int64_t now);

#endif
