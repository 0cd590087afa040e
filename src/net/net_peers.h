/* net_peers - open connections counted per client address, with a cap: the table behind
 * --max-conns-per-ip. One table serves every connection loop of the server (--threads N), so
 * the cap is per server, not per loop; accept takes a count before a connection is kept,
 * and the connection's close gives it back.
 *
 * What counts as one client:
 *   - IPv4: one address (/32).
 *   - IPv6: one /64. A host is normally given a whole /64 (SLAAC, privacy addresses: RFC 4941
 *     rotates them inside it), so counting /128s would let one machine open the cap again
 *     from each of 2^64 addresses of its own, for free. A /64 is the smallest block an ISP
 *     or a cloud hands out (RFC 6177), so per /64 is per subscriber at worst, never per
 *     address a client can mint. Wider (/56, /48) would put whole sites or ISPs' customers
 *     together, which the cap must not do.
 *   - IPv4-mapped IPv6 (::ffff:a.b.c.d, from a dual-stack listener): the IPv4 address, so a
 *     client counts the same whichever way the socket was opened.
 *   - Loopback has no exemption: 127.0.0.1 is one client like any other (tests and
 *     benchmarks spread over 127.0.0.x; a reverse proxy in front makes every client its own
 *     address, and then the cap is the proxy's to keep: --max-conns-per-ip 0).
 *
 * Thread safety: every call but net_peer_of and net_peer_name locks the table's mutex. Each
 * call is a hash lookup (a keyed SipHash of the address, so no client can choose addresses
 * that collide), once per accept and once per close: never on the path of a message. */
#ifndef PARLEY_NET_PEERS_H
#define PARLEY_NET_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One client as counted: an IPv4 address or an IPv6 /64. */
typedef struct {
    uint64_t bits; /* IPv4: the address (host order); IPv6: the first 64 bits, big-endian */
    bool v6;
} net_peer_t;

typedef struct net_peers net_peers_t;

/* The client sa (borrowed) counts as, into *out. 0, or -1 for a family other than IPv4 and
 * IPv6 (nothing to count). */
int net_peer_of(const struct sockaddr *sa, net_peer_t *out);
/* "203.0.113.7" or "2001:db8:1:2::/64", for log lines. */
void net_peer_name(const net_peer_t *p, char *out, size_t cap);

/* A table capping each client at cap open connections (cap > 0). */
net_peers_t *net_peers_new(unsigned cap);
/* Once no loop uses it any more. NULL is ignored. */
void net_peers_free(net_peers_t *t);
/* One more connection of p: true; false (nothing counted) when p already has cap. */
bool net_peers_take(net_peers_t *t, const net_peer_t *p);
/* One connection of p less (p took one before). */
void net_peers_give(net_peers_t *t, const net_peer_t *p);
/* p's open connections now (0 when it has none). */
unsigned net_peers_count(net_peers_t *t, const net_peer_t *p);
/* Clients with at least one connection now. */
size_t net_peers_clients(net_peers_t *t);

#endif
