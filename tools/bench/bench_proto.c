/* bench_proto - what the bench says and how it reads the answers, for both protocols.
 *
 * Every message carries a token "t:<run>:<sender>:<seq>:<send µs>" (run in hex, the rest in
 * decimal), e.g. "t:9c0ffee1:3:1234:8812345678". The run id keeps messages of earlier runs
 * (history, resume of an old channel) out of the counts.
 *
 * parley protocol: the server's own writer puts "type" first and never adds white space, so
 * fields are found by substring search rather than by a JSON parser: at a million frames a
 * second, building a tree per frame would cost more than the server's work being measured.
 * Only values the bench itself wrote (tokens, numbers, session tokens) are extracted, and
 * none of them ever needs JSON unescaping.
 *
 * text protocol (other servers): any received text frame is searched for a token wherever
 * it appears, so "Client #1: t:...", "[12:00:00] b1: t:..." or a bare echo all count. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

typedef struct {
    uint32_t run, sender, seq;
    uint64_t ts;
} token_t;

/* memmem for short needles (2+ bytes) in short frames: glibc's memmem sets up a two-way
 * search per call and memchr on '"' stops at every quote; comparing two bytes inline first
 * keeps the scan at a few cycles per byte. */
static const char *find(const char *p, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (len < n)
        return NULL;
    for (const char *q = p, *last = p + len - n; q <= last; q++)
        if (q[0] == needle[0] && q[1] == needle[1] && memcmp(q + 2, needle + 2, n - 2) == 0)
            return q;
    return NULL;
}

/* Reads digits in base 10 or 16 at *pp; false when there are none. */
static bool parse_num(const char **pp, const char *end, int base, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    for (; p < end; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else
            break;
        v = v * (unsigned)base + d;
    }
    if (p == *pp)
        return false;
    *pp = p;
    *out = v;
    return true;
}

static bool expect_char(const char **pp, const char *end, char ch)
{
    if (*pp >= end || **pp != ch)
        return false;
    (*pp)++;
    return true;
}

/* Parses a token that starts exactly at p ("t:..."). */
static bool token_parse(const char *p, const char *end, token_t *t)
{
    uint64_t run, sender, seq, ts;
    if (!expect_char(&p, end, 't') || !expect_char(&p, end, ':') || !parse_num(&p, end, 16, &run) ||
        !expect_char(&p, end, ':') || !parse_num(&p, end, 10, &sender) ||
        !expect_char(&p, end, ':') || !parse_num(&p, end, 10, &seq) || !expect_char(&p, end, ':') ||
        !parse_num(&p, end, 10, &ts))
        return false;
    if (run > UINT32_MAX || sender > UINT32_MAX || seq > UINT32_MAX)
        return false;
    *t = (token_t){(uint32_t)run, (uint32_t)sender, (uint32_t)seq, ts};
    return true;
}

static bool token_find(const char *p, size_t len, token_t *t)
{
    const char *end = p + len;
    for (const char *q = p; (q = find(q, (size_t)(end - q), "t:")) != NULL; q += 2)
        if (token_parse(q, end, t) && t->run == B.run_id)
            return true;
    return false;
}

/* Records one delivery: first ones count, and live ones inside the window are timed. */
static void deliver(client_t *c, const token_t *t, uint64_t now, bool resuming)
{
    if (t->run != B.run_id) {
        B.st.foreign++;
        return;
    }
    track_res_t r = track_seen(&B.track, c->idx, t->sender, t->seq, resuming);
    if (r == TRACK_BAD)
        B.st.foreign++;
    if (r != TRACK_NEW && r != TRACK_NEW_REORDERED)
        return;
    if (c->expect) {
        B.delivered_expect++;
        c->delivered++;
    }
    if (resuming)
        return;
    if (now >= B.win_start && now < B.win_end)
        B.st.deliveries_window++;
    if (c->slow || t->ts < B.win_start || t->ts >= B.win_end || now < t->ts)
        return;
    uint64_t lat = now - t->ts;
    hist_add(&B.lat, lat);
    if (B.cfg.scen == SCEN_SLOW)
        hist_add(t->ts < B.win_mid ? &B.lat_base : &B.lat_slow, lat);
}

/* ---- parley JSON ---- */

/* The value after "key": as an unsigned number; false when absent. */
static bool json_u64(const char *p, size_t len, const char *key, uint64_t *out)
{
    const char *v = find(p, len, key);
    if (!v)
        return false;
    v += strlen(key);
    return parse_num(&v, p + len, 10, out);
}

/* Copies the string value after "key":" (no escapes expected) into out. */
static bool json_str(const char *p, size_t len, const char *key, char *out, size_t cap)
{
    const char *v = find(p, len, key);
    if (!v)
        return false;
    v += strlen(key);
    const char *q = memchr(v, '"', (size_t)(p + len - v));
    if (!q || (size_t)(q - v) >= cap)
        return false;
    memcpy(out, v, (size_t)(q - v));
    out[q - v] = '\0';
    return true;
}

static void on_welcome(client_t *c, const char *p, size_t len)
{
    uint64_t last = 0;
    (void)json_str(p, len, "\"session\":\"", c->session, sizeof(c->session));
    /* A first join starts from the channel's newest seq, so a later resume never asks for
     * the channel's whole past (which --resume-max would refuse). */
    if (!c->ever_joined && json_u64(p, len, "\"last_seq\":", &last))
        c->last_seq = last;
    net_joined(c);
    if (c->want_resume) {
        c->want_resume = false;
        proto_send_resume(c);
    }
}

static void on_msg(client_t *c, const char *p, size_t len, uint64_t now)
{
    uint64_t seq = 0;
    if (json_u64(p, len, "\"seq\":", &seq) && seq > c->last_seq)
        c->last_seq = seq;
    const char *text = find(p, len, "\"text\":\"");
    token_t t;
    if (text && token_parse(text + 8, p + len, &t))
        deliver(c, &t, now, c->resuming);
    else
        B.st.foreign++;
}

static void on_resumed(client_t *c, const char *p, size_t len)
{
    if (c->resuming)
        B.nresuming--;
    c->resuming = false;
    if (find(p, len, "\"recovered\":true"))
        B.st.resumes_ok++;
    else
        B.st.resumes_failed++;
}

static void on_error(client_t *c, const char *p, size_t len)
{
    char code[32] = "";
    uint64_t id = 0;
    (void)json_str(p, len, "\"code\":\"", code, sizeof(code));
    if (strcmp(code, "rate_limited") == 0)
        B.st.err_rate_limited++;
    else if (strcmp(code, "name_taken") == 0)
        B.st.err_name_taken++;
    else
        B.st.err_other++;
    if (B.st.err_other + B.st.err_name_taken == 1)
        fprintf(stderr, "parley-bench: client %u: server error: %.*s\n", c->idx,
                len > 200 ? 200 : (int)len, p);
    /* Only msg requests carry an id (their seq): that message will never be delivered. */
    if (json_u64(p, len, "\"id\":", &id) && c->idx < B.cfg.senders) {
        B.track.rejected[c->idx]++;
    } else if (c->state != CS_JOINED) {
        B.st.join_fail++; /* the join itself was refused */
        net_close_client(c, WS_CLOSE_NORMAL);
    }
}

static void on_ack(const client_t *c, uint64_t now)
{
    if (c->idx < B.cfg.senders)
        B.acked[c->idx]++;
    B.st.acks++;
    B.st.acks_window += now >= B.win_start && now < B.win_end;
}

static void on_json(client_t *c, const char *p, size_t len, uint64_t now)
{
    const char *t = find(p, len < 48 ? len : 48, "\"type\":\"");
    if (!t)
        return;
    t += 8;
    size_t left = (size_t)(p + len - t);
#define IS(name) (left > sizeof(name) && memcmp(t, name "\"", sizeof(name)) == 0)
    if (IS("msg"))
        on_msg(c, p, len, now);
    else if (IS("ack"))
        on_ack(c, now);
    else if (IS("welcome"))
        on_welcome(c, p, len);
    else if (IS("resumed"))
        on_resumed(c, p, len);
    else if (IS("error"))
        on_error(c, p, len);
#undef IS
}

/* ---- the module's interface ---- */

void proto_on_open(client_t *c)
{
    if (B.cfg.proto == PROTO_TEXT) {
        net_joined(c);
        return;
    }
    char buf[256];
    int n;
    if (c->want_resume && c->session[0])
        n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"join\",\"payload\":{\"user\":\"%s%u\","
                     "\"session\":\"%s\"}}",
                     B.cfg.name_prefix, c->idx, c->session);
    else
        n = snprintf(buf, sizeof(buf), "{\"type\":\"join\",\"payload\":{\"user\":\"%s%u\"}}",
                     B.cfg.name_prefix, c->idx);
    net_send_text(c, buf, (size_t)n);
}

void proto_on_text(client_t *c, const char *p, size_t len, uint64_t now)
{
    if (B.cfg.proto == PROTO_PARLEY) {
        on_json(c, p, len, now);
        return;
    }
    token_t t;
    if (token_find(p, len, &t))
        deliver(c, &t, now, false);
    else
        B.st.foreign++;
}

void proto_send_msg(client_t *c, uint32_t sender, uint32_t seq, uint64_t now)
{
    static char buf[1 << 16];
    const size_t room = sizeof(buf) - 8;
    int n;
    if (B.cfg.proto == PROTO_PARLEY)
        n = snprintf(buf, room, "{\"type\":\"msg\",\"id\":%u,\"payload\":{\"text\":\"", seq);
    else
        n = 0;
    size_t start = (size_t)n;
    n += snprintf(buf + n, room - (size_t)n, "t:%08x:%u:%u:%llu", B.run_id, sender, seq,
                  (unsigned long long)now);
    /* Pad the text to --size with a space then dots: the token's end stays unambiguous. */
    size_t len = (size_t)n;
    if (len - start < B.cfg.size && B.cfg.size < room - 8) {
        buf[len++] = ' ';
        while (len - start < B.cfg.size)
            buf[len++] = '.';
    }
    if (B.cfg.proto == PROTO_PARLEY && B.cfg.cids)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\",\"cid\":\"%08x-%u-%u", B.run_id,
                                sender, seq);
    if (B.cfg.proto == PROTO_PARLEY) {
        memcpy(buf + len, "\"}}", 3);
        len += 3;
    }
    net_send_text(c, buf, len);
}

void proto_send_resume(client_t *c)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"resume\",\"payload\":{\"channels\":{\"general\":%llu}}}",
                     (unsigned long long)c->last_seq);
    if (!c->resuming)
        B.nresuming++;
    c->resuming = true;
    net_send_text(c, buf, (size_t)n);
}
