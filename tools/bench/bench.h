/* bench - parley-bench's shared state: the configuration, the client table and the counters
 * that the network layer (bench_net.c), the protocol layer (bench_proto.c), the scenarios
 * (bench_scen.c) and the report (bench.c) all touch.
 *
 * Everything runs on one thread around one epoll instance, so the state is one global
 * `bench_t` and no locking exists anywhere. Times are CLOCK_MONOTONIC microseconds: the
 * bench and the server share a machine, so a send timestamp carried in a message can be
 * subtracted from the receive time directly. */
#ifndef PARLEY_BENCH_H
#define PARLEY_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "bench_proc.h"
#include "bench_track.h"
#include "ws/ws_frame.h"

typedef enum { PROTO_PARLEY, PROTO_TEXT } bench_proto_t;
typedef enum { SCEN_FANOUT, SCEN_IDLE, SCEN_STORM, SCEN_SLOW } bench_scen_t;

typedef struct {
    bench_scen_t scen;
    bench_proto_t proto;
    char host[128];
    uint16_t port;
    uint16_t ports[8]; /* --ports: several processes on host; ports[0] == port */
    uint32_t nports;   /* 1 unless --ports */
    char path[256];    /* may hold "{i}", replaced by the client's index */
    bool tls;          /* wss://: every connection speaks TLS (no certificate check) */
    uint32_t clients;  /* N: receivers (storm: the storming clients) */
    uint32_t senders;  /* S: clients that also send (storm: extra, always connected) */
    uint32_t slow;     /* K: clients that stop reading (slow) */
    double rate;       /* total messages per second into the server, all senders */
    uint32_t size;     /* message text bytes (at least the token) */
    uint64_t warmup_us, duration_us, grace_us, hold_us, connect_timeout_us;
    double connect_rate;     /* new connections per second; 0: no limit */
    uint32_t inflight;       /* most handshakes in progress at once */
    uint32_t src_spread;     /* source addresses 127.0.0.1 .. 127.0.0.<spread> */
    int slow_rcvbuf;         /* SO_RCVBUF of the slow clients */
    int pid;                 /* server process for /proc readings; 0: none */
    int kill_pid;            /* storm: SIGKILL this process instead of closing everyone */
    bool cids;               /* msg carries payload.cid, as a real client's retries need */
    uint32_t pipeline;       /* most msgs a sender has unacknowledged; 0: no bound */
    const char *name_prefix; /* join names are <prefix><index> */
    bool quiet;              /* only the RESULT line */
} bench_cfg_t;

typedef enum {
    CS_FREE,       /* no socket */
    CS_CONNECTING, /* TCP connect in progress */
    CS_TLS,        /* wss: the TLS handshake in progress */
    CS_HANDSHAKE,  /* upgrade request sent, waiting for the 101 */
    CS_OPEN,       /* WebSocket open; parley: join sent, waiting for the welcome */
    CS_JOINED      /* in the channel (parley: welcome seen; text: right after the 101) */
} client_state_t;

struct ssl_st; /* OpenSSL's SSL, for wss: */

typedef struct {
    int fd;
    struct ssl_st *ssl; /* wss: the connection's TLS session, NULL for ws: */
    uint32_t idx;
    uint32_t backend; /* index into cfg.ports: where the next connect goes */
    uint32_t gen;     /* bumped per socket, so stale epoll events are recognised */
    client_state_t state;
    bool slow;        /* one of the K clients of `slow` */
    bool paused;      /* slow client not reading */
    bool resuming;    /* resume sent, `resumed` not yet seen */
    bool expect;      /* counted as a receiver for lost/duplicate checks */
    bool want_resume; /* resume after the next welcome (a reconnect) */
    bool ever_joined;
    bool queued;         /* in the connect queue */
    bool tls_write;      /* CS_TLS: the handshake waits to write, not to read */
    uint16_t close_code; /* last close code from the server (1006: none, socket dropped) */
    uint16_t reconnects; /* after server closes; bounded by RECONNECT_MAX */
    uint32_t events;     /* epoll interest now registered */
    uint64_t last_seq;   /* newest channel seq seen (parley) */
    uint64_t delivered;  /* first deliveries to this client (when expect) */
    char key[25];        /* Sec-WebSocket-Key sent */
    char session[72];    /* session token from the welcome */
    buf_t hs;            /* handshake response being read */
    buf_t out;           /* bytes not yet written */
    ws_parser_t parser;
} client_t;

/* Counters; most are plain event counts for the report. */
typedef struct {
    uint64_t connects_ok, connect_fail, handshake_fail, join_fail, closed_by_server;
    uint64_t close_codes[16]; /* index = code - 1000 for 1000..1015 */
    uint64_t closed_other;    /* any other code, or a drop without a close frame */
    uint64_t sent, send_skipped, send_blocked, acks, pings, frames_in, bytes_in;
    uint64_t acks_window; /* acks received inside the measured window */
    uint64_t err_rate_limited, err_name_taken, err_other;
    uint64_t resumes_ok, resumes_failed, foreign;
    uint64_t deliveries_window; /* live deliveries received inside the measured window */
    uint64_t max_send_lag_us;   /* how far sending fell behind its schedule */
} bench_stats_t;

/* What the scenario measured besides the counters; the report prints it. */
typedef struct {
    uint32_t joined;                    /* clients in the channel after the connect phase */
    double connect_s;                   /* connect phase: first connect to last join */
    uint32_t reconnected;               /* storm: clients back (joined and resumed) */
    double reconnect_s;                 /* storm: mass close to the last resumed */
    uint32_t killed_clients;            /* storm --kill-pid: clients dropped by the kill */
    proc_sample_t p_before;             /* server before the bench connected */
    proc_sample_t p_warm;               /* idle: server once the first `warm` clients joined */
    uint32_t warm;                      /* idle: clients joined before p_warm */
    proc_sample_t p_start, p_end;       /* server at the start and end of the measured window */
    proc_sample_t self_start, self_end; /* the bench itself, same moments */
    uint32_t receivers;                 /* clients whose deliveries were checked */
    uint64_t expected, lost, lost_slow; /* lost: at receivers in the channel at the end;
                                         lost_slow: at slow clients, back or not */
    bool self_echo;                     /* senders receive their own messages */
    uint32_t slow_1013, slow_closed, slow_back; /* slow: closed 1013, closed at all, resumed */
    uint32_t reconnects;                        /* reconnections made after a server close */
    uint32_t healthy_closed;   /* closes by the server of clients that were reading */
    uint32_t gave_up;          /* clients closed again after RECONNECT_MAX reconnections */
    uint32_t not_back;         /* expected receivers not in the channel at the end */
    uint64_t missing_not_back; /* messages those lack */
} bench_result_t;

typedef struct {
    bench_cfg_t cfg;
    uint32_t run_id; /* random, carried in every token: other runs' messages differ */
    int ep;          /* epoll fd */
    client_t *cl;
    uint32_t ncl;        /* clients in the table (storm: senders + N) */
    uint32_t first_recv; /* index of the first non-sender-only client (storm: S) */
    /* connect queue: indices waiting to connect */
    uint32_t *cq;
    uint32_t cq_head, cq_len, connecting;
    double connect_tokens;
    uint64_t connect_refill_us;
    /* sending */
    bool sending;
    double interval_us;                   /* per sender */
    double *next_send;                    /* per sender: due time, µs */
    uint32_t *acked;                      /* per sender: acks received */
    uint64_t win_start, win_mid, win_end; /* measured window; win_mid used by `slow` */
    uint64_t t0, hard_deadline;
    /* Called after the server ended a joined client's connection (c is closed by then). */
    void (*on_drop)(client_t *c);
    track_t track;
    hist_t lat;                 /* live deliveries of window messages to non-slow clients */
    hist_t lat_base, lat_slow;  /* slow: the same, for messages sent before/after win_mid */
    uint64_t delivered_expect;  /* first deliveries to expected receivers */
    uint32_t nresuming;         /* clients with a resume outstanding */
    uint64_t gave_up_delivered; /* of delivered_expect, those to clients that gave up */
    bench_stats_t st;
    bench_result_t res;
} bench_t;

extern bench_t B;

uint64_t bench_now_us(void);

/* bench_net.c: sockets, handshake, frames, the loop. */
void net_init(void);
void net_queue_connect(uint32_t idx);              /* adds idx to the connect queue (once) */
void net_clear_queue(void);                        /* forgets every queued connect */
void net_close_client(client_t *c, uint16_t code); /* close frame (code != 0) then close */
void net_send_text(client_t *c, const char *p, size_t len);
void net_pause(client_t *c, bool paused); /* slow clients: stop or restart reading */
void net_joined(client_t *c);             /* the client is in the channel now */
/* Runs the loop until pred() is true (checked every turn; NULL: never) or until deadline.
 * Returns true when pred became true. */
bool net_run(uint64_t deadline, bool (*pred)(void));
uint32_t net_count(client_state_t st); /* clients in state st */

/* bench_proto.c: what goes in frames, and what comes out of them. */
void proto_on_open(client_t *c); /* WebSocket just opened */
void proto_on_text(client_t *c, const char *p, size_t len, uint64_t now);
void proto_send_msg(client_t *c, uint32_t sender, uint32_t seq, uint64_t now);
void proto_send_resume(client_t *c);

/* bench_scen.c: runs the configured scenario; -1 when it cannot be set up. */
int scen_run(void);

/* bench_report.c: prints the human report (unless --quiet) and the RESULT line. */
void report_print(void);

#endif
