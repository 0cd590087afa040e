/* chat_world - the chat tests' world: one or two hubs (two processes) on one in-memory store
 * in STORE_MEM_MANUAL mode, so the test decides when each store operation completes; auth
 * over that store with open registration and guests; accounts registered through auth on
 * the default loop; and fake connections whose transport records every frame chat sends
 * them. Shared by test_chat and test_chat_limits; each test keeps its own specific helpers.
 *
 * A world lives where the test puts it (on its stack) and owns everything it holds: the
 * store, auth, the hubs, each connection's session and recorded frames, the accounts'
 * tokens. cw_world_deinit releases all of it and runs the default loop out.
 *
 * Frames: the transport decodes each frame chat sends or sends in bulk (a resume's pages)
 * into its payload, a NUL-terminated copy (JSON for a JSON session, a line for a text-mode
 * one), appended to its connection's frame[] in order of sending; nothing is ever held back
 * (no backlog) and a close only records its code. They belong to the connection until
 * cw_conn_reset or cw_world_deinit frees them. The frame helpers read them without changing
 * them; those returning JSON give a new reference the caller decrefs.
 *
 * The harness's own expectations (an account registered, a join welcomed, room for another
 * account or connection) are not the test's checks: test.h's tally is static to each test
 * file, so a CHECK here would be counted here and never fail the run. A broken expectation
 * prints where it broke and aborts the test program. */
#ifndef PARLEY_CHAT_WORLD_H
#define PARLEY_CHAT_WORLD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "chat/chat.h"
#include "chat/chat_hub.h"
#include "store/store.h"

#define CW_CONNS 16        /* connections a world holds */
#define CW_ACCOUNTS_MAX 16 /* accounts registered in one world, "root" included */

/* A fake connection: the conn pointer of its session, whose transport calls land here. */
typedef struct {
    char **frame;      /* each frame's payload, in order of sending; owned (see above) */
    size_t n, cap;     /* frames recorded; room in frame[] */
    uint16_t closed;   /* the close code chat gave, 0 while open */
    bool want_drain;   /* chat asked to hear when the queue drains */
    chat_session_t *s; /* its session, NULL before it opens and after it leaves */
} cw_conn_t;

typedef struct {
    store_t *store;    /* STORE_MEM_MANUAL: nothing completes until the test says so */
    auth_t *auth;      /* over store */
    chat_config_t cfg; /* what the hubs are made with: defaults set by cw_world_auth */
    chat_hub_t *hub;   /* NULL until cw_world_hub */
    chat_hub_t *hub2;  /* with cfg.shared: a second process's hub on the same store */
    cw_conn_t conns[CW_CONNS];
    struct {
        char name[32];
        char token[AUTH_SESSION_HEX + 1];
    } acct[CW_ACCOUNTS_MAX];
    size_t nacct;
} cw_world_t;

/* The transport every hub of a world is made with (cw_conn_t conns). */
extern const chat_transport_t cw_transport;

/* ---- the world ---- */

/* Zeroes w, opens its store and auth and registers "root", the owner (the first account).
 * w->cfg gets the tests' defaults (history 50, rate and burst 1000, 1 MiB outbound, no
 * channel cap, not shared): a test may change it before cw_world_hub. */
void cw_world_auth(cw_world_t *w);
/* Makes and loads the hub (and hub2 when w->cfg.shared) with w->cfg; the start-up reads
 * they ask of the store are left pending. */
void cw_world_hub(cw_world_t *w);
/* cw_world_auth, cw_world_hub, then every pending store operation completed. */
void cw_world_init(cw_world_t *w);
/* Closes every open session, frees every frame, completes what is pending, closes the
 * store, frees the hubs and auth, and runs the default loop until it is empty. */
void cw_world_deinit(cw_world_t *w);

/* Registers name (password "correct horse", from 127.0.0.1) unless the world has it, and
 * returns its session token, owned by w: the password is hashed on the default loop's pool,
 * which runs, with the store, until the answer comes. */
const char *cw_account(cw_world_t *w, const char *name);

/* ---- connections ---- */

/* Opens w->conns[i] on hub in mode (client_id for CHAT_MODE_CLIENTID, else NULL) from addr
 * (NULL: no credentials at all, as chat_open takes). */
cw_conn_t *cw_open(cw_world_t *w, chat_hub_t *hub, size_t i, chat_mode_t mode,
                   const char *client_id, const char *addr);
/* Opens w->conns[i] as a JSON session on hub from addr (NULL as above) and joins it as the
 * account user (registered if new) with its token; the store runs until the welcome and
 * history are sent, and the welcome must have come. */
cw_conn_t *cw_join_on(cw_world_t *w, chat_hub_t *hub, size_t i, const char *user, const char *addr);
/* cw_join_on the world's hub, without credentials. */
cw_conn_t *cw_join(cw_world_t *w, size_t i, const char *user);
/* As cw_join_on the world's hub, joining as the guest user. */
cw_conn_t *cw_join_guest(cw_world_t *w, size_t i, const char *user, const char *addr);
/* Closes c's session, as the connection going would (c->s is NULL afterwards). */
void cw_leave(cw_conn_t *c);
/* Sends c's session the printf-formatted text (at most 1023 bytes) as a text message. */
void cw_say(cw_conn_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends a msg of text with request id (both put into the JSON as they are). */
void cw_post(cw_conn_t *c, const char *text, const char *id);
/* Frees c's frames: it has received nothing from here on. */
void cw_conn_reset(cw_conn_t *c);

/* ---- the frames a connection got ---- */

/* How many frames of type c got: JSON frames whose "type" is type, and text frames (a
 * text-mode session's) that start with type. */
int cw_count(const cw_conn_t *c, const char *type);
/* The last JSON frame of type c got (a new reference), or NULL. */
json_t *cw_last(const cw_conn_t *c, const char *type);
/* The last error c got (a new reference), or NULL. */
json_t *cw_last_error(const cw_conn_t *c);
/* The code of the last error c got, "" for none; in a static buffer, valid until the next
 * call. */
const char *cw_err_code(const cw_conn_t *c);
/* How many frames c got whose "code" is code. */
int cw_errors(const cw_conn_t *c, const char *code);
/* Integer key of j's payload (0 if absent). */
long long cw_pint(json_t *j, const char *key);
/* The seqs of every msg c got, live or in a history answer (a resume's pages are history
 * answers), in the order they arrived, into out (at most max); returns how many. */
size_t cw_seqs(const cw_conn_t *c, uint64_t out[], size_t max);

#endif
