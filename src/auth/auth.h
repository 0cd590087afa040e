/* auth - accounts, guests, sessions, invites and roles: who someone is, and how they prove
 * it. The state lives on the hub's loop (one owner thread, no locks) and is written
 * through the store (store.h: users, sessions, invites), loaded at start and re-read when
 * another process (`parley user`) changed it (auth_tick).
 *
 * Identity is a user id. A user's name is unique in its canonical form (auth_name.h), held
 * by an account for good and by a guest for --guest-ttl since it was last seen. Users are
 * never freed while the registry lives (a deactivated user keeps its row), so a const
 * auth_user_t * stays valid and its fields change only on the loop. Sessions can end at any
 * moment: nobody outside keeps an auth_session_t pointer across loop turns; they keep its
 * id and look it up again.
 *
 * Every operation that writes completes through an auth_cb, exactly once, after the store
 * committed (or failed: AUTH_E_UNAVAILABLE); it may fire before the call returns when the
 * answer needs no work (a refusal). Password work runs off the loop (auth_pass.h). The
 * rights of an actor are decided by auth_can (auth_policy.h) inside each operation that
 * takes an actor: callers do not check twice.
 *
 * Revocation: whenever sessions end other than by expiry (sign-out, sign-out everywhere,
 * a password change, a ban, a deactivation, a revoked session), the revoke callback is
 * called at once with the user, the session (0: every session of the user) and the close
 * code the user's WebSockets get (AUTH_CLOSE_*); chat registers it and closes them. "At
 * once" means synchronously inside the call that ends them (for a password change or a
 * reset: when its hash is done), after memory changed and the store writes were submitted,
 * before they commit: a revocation whose write fails answers UNAVAILABLE, its sockets
 * closed all the same. The callback may call auth again. auth_tick also calls it for
 * sessions and bans made by another process. */
#ifndef PARLEY_AUTH_H
#define PARLEY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth_rate.h"
#include "auth/auth_token.h"
#include "store/store.h"

struct uv_loop_s;

/* WebSocket close codes of revocation (RFC 6455 7.4.2: the application's range). */
#define AUTH_CLOSE_SIGNED_OUT 4001
#define AUTH_CLOSE_BANNED 4003
#define AUTH_CLOSE_DEACTIVATED 4004

typedef enum { AUTH_GUEST = 0, AUTH_MEMBER = 1, AUTH_ADMIN = 2, AUTH_OWNER = 3 } auth_role_t;
typedef enum { AUTH_ACTIVE = 0, AUTH_BANNED = 1, AUTH_DEACTIVATED = 2 } auth_state_t;
typedef enum { AUTH_REG_OPEN, AUTH_REG_INVITE, AUTH_REG_CLOSED } auth_registration_t;

typedef struct auth auth_t;

#define AUTH_INVITES_LIVE_MAX 100 /* live invite links of one owner or admin */
#define AUTH_LINKS_DAY_MAX 500    /* invite and reset links one owner or admin makes a day */

/* Read-only outside auth.c. */
typedef struct auth_user {
    uint64_t id;
    char *name;    /* as registered or joined */
    char *canon;   /* NULL: holds no name any more (a guest whose hold lapsed) */
    char *display; /* "" for none */
    char *title;   /* "what I do", "" for none (AUTH_TITLE_MAX code points) */
    char *tz;      /* an IANA time zone name ("Europe/Paris"), "" for none */
    char *avatar;  /* the avatar's id: its SHA-256 in hex, "" for none (the generated one) */
    char *pass;    /* NULL: no password (a guest, or an account migrated from before accounts) */
    auth_role_t role;
    auth_state_t state;
    unsigned online;       /* connections chat holds for the user (auth_user_online) */
    bool bot;              /* a bot account: no password, tokens from auth_bot_add/_token */
    int64_t created, seen; /* Unix ms; seen: the last sign-in, join or disconnect */
    auth_bucket_t rate;    /* the request rate bucket (auth_rate_take) */
} auth_user_t;

typedef struct auth_session {
    uint64_t id;
    const auth_user_t *user;
    char hash[AUTH_HASH_HEX + 1];
    int64_t created, seen, expires; /* Unix ms; expires: absolute */
    char *agent, *addr;
} auth_session_t;

typedef struct auth_invite {
    uint64_t id;
    char hash[AUTH_HASH_HEX + 1];
    bool reset;       /* a reset link (for user_id) rather than an invite */
    uint64_t creator; /* 0: the command line */
    uint64_t user_id; /* reset only */
    auth_role_t role; /* invite only */
    int64_t created, expires;
    uint32_t uses, max_uses;
    bool revoked;
} auth_invite_t;

#define AUTH_GUEST_JOINS_DEFAULT 30

typedef struct {
    bool guests;                      /* --guests on */
    int64_t guest_ttl_ms;             /* --guest-ttl (0: held only while online) */
    unsigned guest_joins;             /* --guest-joins a minute per address (0: 30) */
    int64_t session_idle_ms;          /* --session-idle: sliding expiry */
    int64_t session_max_ms;           /* --session-max: absolute expiry */
    auth_registration_t registration; /* --registration (OPEN while no owner exists) */
    unsigned hash_max;                /* --hash-max: password hashes at once */
    unsigned long long pw_ops;        /* 0: libsodium INTERACTIVE (tests may lower both) */
    size_t pw_mem;
    size_t max_name; /* code points of a user name (--max-name) */
    /* Other processes write accounts to the same store (--bus): the ids of new users,
     * sessions and invites are drawn at random from [2^40, 2^53) (exact in JavaScript)
     * instead of counted, so that two processes never give one id twice. */
    bool shared_ids;
} auth_config_t;

typedef enum {
    AUTH_OK = 0,
    AUTH_E_BAD_NAME,            /* 400 bad_name */
    AUTH_E_BAD_DISPLAY,         /* 400 bad_name (a display name) */
    AUTH_E_NAME_TAKEN,          /* 409 name_taken */
    AUTH_E_WEAK_PASSWORD,       /* 400 weak_password: under AUTH_PASS_MIN characters */
    AUTH_E_BAD_PASSWORD,        /* 400 bad_password: over AUTH_PASS_MAX bytes (new password) */
    AUTH_E_BAD_CREDENTIALS,     /* 401 bad_credentials */
    AUTH_E_BANNED,              /* 403 banned */
    AUTH_E_DEACTIVATED,         /* 403 deactivated */
    AUTH_E_REGISTRATION_CLOSED, /* 403 registration_closed */
    AUTH_E_BAD_INVITE,          /* 403 bad_invite */
    AUTH_E_FORBIDDEN,           /* 403 forbidden */
    AUTH_E_NOT_FOUND,           /* 404 not_found */
    AUTH_E_LAST_OWNER,          /* 409 last_owner */
    AUTH_E_GUESTS_OFF,          /* 403 auth_required: guests are off */
    AUTH_E_BUSY,                /* 429 busy (retry_after) */
    AUTH_E_RATE_LIMITED,        /* 429 rate_limited (retry_after) */
    AUTH_E_QUOTA,               /* 403 quota_exceeded: too many invite or reset links */
    AUTH_E_UNAVAILABLE,         /* 503 unavailable: the store did not keep it */
    AUTH_E_BAD_TITLE,           /* 400 bad_title */
    AUTH_E_BAD_TZ,              /* 400 bad_tz */
    AUTH_E_BAD_AVATAR,          /* 400 bad_avatar (an id that is not 64 hex digits) */
} auth_status_t;

/* The wire code ("bad_name", ...), the HTTP status and a human sentence for a status. */
const char *auth_status_code(auth_status_t st);
int auth_status_http(auth_status_t st);
const char *auth_status_text(auth_status_t st);
const char *auth_role_name(auth_role_t r);            /* "owner", ... */
int auth_role_parse(const char *s, auth_role_t *out); /* 0 or -1 */
const char *auth_state_name(auth_state_t s);          /* "active", ... */

/* What an operation answers. Pointers are valid during the callback only (users stay
 * valid, see above). */
typedef struct {
    auth_status_t status;
    const auth_user_t *user;       /* OK: the user signed in, registered, changed */
    const auth_session_t *session; /* OK with a new session: it */
    const char *token;             /* OK with a new session, invite or reset: the secret,
                                      given out this once */
    const auth_invite_t *invite;   /* OK for invite and reset creation */
    const struct auth_hook *hook;  /* OK for webhook creation (auth_hook.h) */
    unsigned retry_after;          /* BUSY, RATE_LIMITED: seconds */
} auth_result_t;

typedef void (*auth_cb)(void *ctx, const auth_result_t *r);
typedef void (*auth_revoke_cb)(void *ctx, uint64_t user_id, uint64_t session_id, uint16_t code);

/* ---- lifetime ---- */

/* store borrowed, outliving auth. NULL when auth_init failed or out of memory. */
auth_t *auth_new(struct uv_loop_s *loop, store_t *store, const auth_config_t *cfg);
/* Reads users, sessions and invites (synchronous, at start). 0 or < 0. */
int auth_load(auth_t *a);
/* After the store closed and the loop ran every password job out. */
void auth_free(auth_t *a);
/* Once a second: lapsed guest holds, expired sessions (dropped quietly: their sockets
 * stay until they reconnect), and a re-read when the accounts changed elsewhere. */
void auth_tick(auth_t *a);
void auth_set_revoke_cb(auth_t *a, auth_revoke_cb cb, void *ctx);
/* Several processes (--bus): whether the user called name is online on another process.
 * A guest's hold does not lapse while it is (that process counts its connections, not this
 * one). cb NULL: nobody is online elsewhere. */
typedef bool (*auth_elsewhere_cb)(void *ctx, const char *name);
void auth_set_elsewhere_cb(auth_t *a, auth_elsewhere_cb cb, void *ctx);
const auth_config_t *auth_config(const auth_t *a);

/* ---- lookups ---- */

const auth_user_t *auth_user(const auth_t *a, uint64_t id);
/* The user holding name (any canonical form of it), or NULL. */
const auth_user_t *auth_user_named(const auth_t *a, const char *name, size_t len);
/* Every user, by id (i < auth_nusers). */
size_t auth_nusers(const auth_t *a);
const auth_user_t *auth_user_at(const auth_t *a, size_t i);
bool auth_owner_exists(const auth_t *a);
/* The registration in force: OPEN while no owner exists, else --registration. */
auth_registration_t auth_registration(const auth_t *a);

/* The live session a token (any string, any length) stands for, or NULL: unknown, expired
 * (idle or absolute), or of a user who is not active. Slides its `seen` (written at most
 * once a minute). Costs the same for every wrong token (a hash and a table lookup). */
const auth_session_t *auth_session_check(auth_t *a, const char *token, size_t len);
const auth_session_t *auth_session(const auth_t *a, uint64_t id);
/* The sessions of a user: call with prev NULL for the first, NULL after the last. */
const auth_session_t *auth_session_next(const auth_t *a, uint64_t user_id,
                                        const auth_session_t *prev);
/* Every invite and reset link: prev NULL for the first. */
const auth_invite_t *auth_invite_next(const auth_t *a, const auth_invite_t *prev);

/* ---- accounts ---- */

typedef struct {
    const char *name;
    size_t name_len;
    const char *password;
    size_t password_len;
    const char *display; /* NULL or "" for none */
    const char *invite;  /* the invite token, NULL for none */
    const char *addr;    /* the peer's address, for the per-address limit and the session */
    const char *agent;   /* User-Agent, NULL for none */
    auth_role_t role;    /* auth_user_add only (the command line): the role */
} auth_register_t;

/* Registers an account and signs it in (a new session). The first account on a server
 * without an owner becomes the owner; otherwise the registration mode and the invite
 * decide, and the invite's role is given. */
void auth_register(auth_t *a, const auth_register_t *r, auth_cb cb, void *ctx);
/* The command line's `parley user add`: no registration rules, no session. password NULL
 * (here only; auth_register answers BAD_PASSWORD): an account without a password, which
 * nobody can sign in to until a reset link sets one (`parley import`). */
void auth_user_add(auth_t *a, const auth_register_t *r, auth_cb cb, void *ctx);
/* Signs in: BAD_CREDENTIALS for a wrong password and an unknown name alike (the same
 * work: a dummy verify); RATE_LIMITED past 5 failures per account or 20 per address in 15
 * minutes; BANNED/DEACTIVATED only after a right password. */
void auth_login(auth_t *a, const char *name, size_t name_len, const char *pw, size_t pw_len,
                const char *addr, const char *agent, auth_cb cb, void *ctx);
/* Ends one session (revoke code AUTH_CLOSE_SIGNED_OUT). cb may be NULL. */
void auth_logout(auth_t *a, uint64_t session_id, auth_cb cb, void *ctx);
/* Ends every session of the user. */
void auth_logout_all(auth_t *a, uint64_t user_id, auth_cb cb, void *ctx);
/* Changes the password of the session's user after checking the current one; every other
 * session of the user ends. */
void auth_password(auth_t *a, uint64_t session_id, const char *old, size_t old_len, const char *pw,
                   size_t pw_len, auth_cb cb, void *ctx);
void auth_set_display(auth_t *a, uint64_t user_id, const char *display, size_t len, auth_cb cb,
                      void *ctx);

#define AUTH_TITLE_MAX 80 /* code points of a title */
#define AUTH_TZ_MAX 64    /* bytes of a time zone name */

/* A profile change: each field NULL to keep it, else its new value ("" clears it). */
typedef struct {
    const char *display; /* as auth_set_display takes it */
    size_t display_len;
    const char *title; /* at most AUTH_TITLE_MAX code points, none control, bidi, invisible */
    size_t title_len;
    const char *tz; /* at most AUTH_TZ_MAX of A-Za-z0-9_+/- (an IANA name; not looked up) */
    size_t tz_len;
    const char *avatar; /* 64 lowercase hex digits: the SHA-256 of the image (api stores it) */
} auth_profile_t;

/* Changes the given fields of the user's profile at once (one row write): BAD_DISPLAY,
 * BAD_TITLE, BAD_TZ or BAD_AVATAR, nothing changed, when one is malformed. On AUTH_OK the
 * result's user holds the new profile. Guests may too (their row is kept like an account's
 * while their name is held). */
void auth_set_profile(auth_t *a, uint64_t user_id, const auth_profile_t *p, auth_cb cb, void *ctx);
/* Whether some user's profile names avatar id (to know when its image is no one's). */
bool auth_avatar_used(const auth_t *a, const char *avatar);
/* Uses a reset link: sets the password of its user, ends the user's sessions, and signs
 * in (a new session). BAD_INVITE for an unknown, used, expired or revoked token. */
void auth_reset_use(auth_t *a, const char *token, const char *pw, size_t pw_len, const char *addr,
                    const char *agent, auth_cb cb, void *ctx);

/* ---- administration (actor NULL: the command line, with every right) ---- */

void auth_set_role(auth_t *a, const auth_user_t *actor, uint64_t target, auth_role_t role,
                   auth_cb cb, void *ctx);
/* Ban (AUTH_BANNED), deactivate (AUTH_DEACTIVATED), or restore (AUTH_ACTIVE). */
void auth_set_state(auth_t *a, const auth_user_t *actor, uint64_t target, auth_state_t st,
                    auth_cb cb, void *ctx);
/* An invite (token: 32 hex digits) granting role, usable max_uses times for ttl_ms. QUOTA
 * when the actor holds AUTH_INVITES_LIVE_MAX live invites (not revoked, expired or used
 * up), or made AUTH_LINKS_DAY_MAX invite and reset links in a day (the command line: no
 * quota). */
void auth_invite_create(auth_t *a, const auth_user_t *actor, auth_role_t role, uint32_t max_uses,
                        int64_t ttl_ms, auth_cb cb, void *ctx);
void auth_invite_revoke(auth_t *a, const auth_user_t *actor, uint64_t invite_id, auth_cb cb,
                        void *ctx);
/* A one-use reset link for target, valid 24 hours; QUOTA past AUTH_LINKS_DAY_MAX a day. */
void auth_reset_create(auth_t *a, const auth_user_t *actor, uint64_t target, auth_cb cb, void *ctx);

/* ---- bots (auth_bot.c) ----
 * A bot is an account (role member, `bot` set) without a password: it never signs in. Its
 * tokens are sessions (64 hex digits, stored as their hash) that end only when revoked or
 * with the bot (a ban, a deactivation): neither --session-idle nor --session-max applies.
 * Owners and admins (auth_can AUTH_ACT_BOT_ADMIN; actor NULL: the command line) make them. */

/* Creates bot `name` (the user name rules: BAD_NAME, NAME_TAKEN) and its first token: OK
 * with the result's user, session and token (given out this once). FORBIDDEN for others. */
void auth_bot_add(auth_t *a, const auth_user_t *actor, const char *name, size_t len, auth_cb cb,
                  void *ctx);
/* Ends every token of bot target (its WebSockets closed 4001) and, when fresh, gives it a
 * new one (OK with the result's token). NOT_FOUND when target is no bot. */
void auth_bot_token(auth_t *a, const auth_user_t *actor, uint64_t target, bool fresh, auth_cb cb,
                    void *ctx);

/* ---- guests and chat's identities (synchronous; the rows are written behind) ---- */

/* A guest join of name. token: the guest's token from its last welcome (NULL or "" for
 * none). OK: *user is the guest and token_out the token that holds the name (the same
 * one, or a new one for a new guest); GUESTS_OFF, BAD_NAME, NAME_TAKEN (registered, or
 * held by another guest's token, or reserved), BANNED, RATE_LIMITED (guest joins per
 * address). */
auth_status_t auth_guest(auth_t *a, const char *name, size_t len, const char *token,
                         const char *addr, const auth_user_t **user,
                         char token_out[AUTH_SESSION_HEX + 1]);
/* The guest "Client #<id>" of the client-id text mode, held by that client id. */
auth_status_t auth_guest_clientid(auth_t *a, const char *client_id, const auth_user_t **user);
/* Whether a line-mode text may be written under name: a valid name that no user holds. */
bool auth_name_free(const auth_t *a, const char *name, size_t len);
/* Chat counts the user's connections: while online > 0 a guest's hold does not lapse;
 * each change also records `seen`. */
void auth_user_online(auth_t *a, const auth_user_t *u, bool up);
/* The request rate limit (items 9 and 12): rate tokens a second, up to burst. */
typedef struct {
    double rate, burst;
    double addr_burst; /* the bucket of an address: guests from one address share it */
} auth_rate_t;

/* Takes cost tokens from every bucket a request pays into, or from none: the user's (u,
 * kept with the user: shared by all their connections and kept across reconnects, so that
 * neither more sockets nor a reconnect buys more), conn's (non-NULL: a connection without a
 * user of its own, line mode), and the address's (addr, "" for none) when the identity
 * costs nothing to make: a guest, or conn. Accounts do not pay by address: an account costs
 * an invite or a registration (limited per address), and people behind one NAT are many.
 * Returns 0 when taken; else the milliseconds until they could be (nothing was taken). */
uint64_t auth_rate_take(auth_t *a, const auth_user_t *u, auth_bucket_t *conn, const char *addr,
                        const auth_rate_t *r, double cost, uint64_t now_ms);
/* What user id spent on another process sharing the store (its events committed there):
 * taken from the user's bucket here too, into a debt of at most one burst, so that a user
 * connected to several processes has one rate, not one per process. Nothing for an id
 * unknown here. */
void auth_rate_charge(auth_t *a, uint64_t user_id, const auth_rate_t *r, double cost,
                      uint64_t now_ms);

#endif
