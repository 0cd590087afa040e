/* server_metrics - the /metrics text; see server_metrics.h. One format string keeps every
 * name, type and value of the page in one place, in the order it is served. */
#include "server/server_metrics.h"

#include "base/stats.h"

void server_metrics_render(const server_metrics_t *m, buf_t *out)
{
    const server_conn_metrics_t *n = &m->conn;
    buf_appendf(out,
                "# HELP parley_build_info The running release, as a label.\n"
                "# TYPE parley_build_info gauge\nparley_build_info{version=\"%s\"} 1\n"
                "# HELP parley_connections Open TCP connections.\n"
                "# TYPE parley_connections gauge\nparley_connections %zu\n"
                "# HELP parley_websockets Open WebSocket connections.\n"
                "# TYPE parley_websockets gauge\nparley_websockets %zu\n"
                "# TYPE parley_online_users gauge\nparley_online_users %zu\n"
                "# TYPE parley_accepted_total counter\nparley_accepted_total %llu\n"
                "# TYPE parley_messages_published_total counter\n"
                "parley_messages_published_total %llu\n"
                "# TYPE parley_messages_delivered_total counter\n"
                "parley_messages_delivered_total %llu\n"
                "# TYPE parley_slow_consumers_closed_total counter\n"
                "parley_slow_consumers_closed_total %llu\n"
                "# TYPE parley_store_appends_total counter\nparley_store_appends_total %llu\n"
                "# TYPE parley_store_commits_total counter\nparley_store_commits_total %llu\n"
                "# TYPE parley_store_queued gauge\nparley_store_queued %llu\n"
                "# HELP parley_store_available 1 while the store commits, 0 while it fails.\n"
                "# TYPE parley_store_available gauge\nparley_store_available %d\n"
                "# TYPE parley_bytes_in_total counter\nparley_bytes_in_total %llu\n"
                "# TYPE parley_bytes_out_total counter\nparley_bytes_out_total %llu\n"
                "# TYPE parley_channel_last_seq gauge\n"
                "parley_channel_last_seq{channel=\"general\"} %llu\n"
                "# HELP parley_refused_per_ip_total Connections closed at accept: their address "
                "had --max-conns-per-ip open.\n"
                "# TYPE parley_refused_per_ip_total counter\nparley_refused_per_ip_total %llu\n"
                "# HELP parley_partial_input_refused_total Connections closed (1013, 503) when "
                "input still arriving would pass --max-partial-input.\n"
                "# TYPE parley_partial_input_refused_total counter\n"
                "parley_partial_input_refused_total %llu\n"
                "# HELP parley_message_timeouts_total Frames, messages and requests not whole "
                "within --message-timeout (1008, 408).\n"
                "# TYPE parley_message_timeouts_total counter\n"
                "parley_message_timeouts_total %llu\n"
                "# HELP parley_partial_input_bytes Bytes held of input still arriving, every "
                "connection together.\n"
                "# TYPE parley_partial_input_bytes gauge\nparley_partial_input_bytes %zu\n",
                PARLEY_VERSION, n->connections, n->websockets, m->chat.online,
                (unsigned long long)n->accepted, (unsigned long long)m->chat.published,
                (unsigned long long)m->chat.delivered, (unsigned long long)n->slow_closed,
                (unsigned long long)m->store_appends, (unsigned long long)m->store_commits,
                (unsigned long long)m->store_queued, m->chat.available ? 1 : 0,
                (unsigned long long)n->bytes_in, (unsigned long long)n->bytes_out,
                (unsigned long long)m->chat.general_seq, (unsigned long long)n->refused_per_ip,
                (unsigned long long)n->partial_refused, (unsigned long long)n->message_timeouts,
                n->partial_bytes);
    stats_render(out);
    if (!m->chat.bus.on)
        return;
    const chat_bus_metrics_t *b = &m->chat.bus;
    buf_appendf(out,
                "# HELP parley_bus_up 1 while the bus to the other processes (--bus) is up.\n"
                "# TYPE parley_bus_up gauge\nparley_bus_up %d\n"
                "# TYPE parley_bus_published_total counter\nparley_bus_published_total %llu\n"
                "# HELP parley_bus_dropped_total Publishes given up (the bus down, or past its "
                "bound): the others fill them from the store.\n"
                "# TYPE parley_bus_dropped_total counter\nparley_bus_dropped_total %llu\n"
                "# TYPE parley_bus_received_total counter\nparley_bus_received_total %llu\n"
                "# TYPE parley_bus_reconnects_total counter\nparley_bus_reconnects_total %llu\n"
                "# TYPE parley_bus_pending gauge\nparley_bus_pending %llu\n"
                "# TYPE parley_bus_topics gauge\nparley_bus_topics %llu\n"
                "# HELP parley_bus_bad_total Messages on the bus that were not parley's.\n"
                "# TYPE parley_bus_bad_total counter\nparley_bus_bad_total %llu\n",
                b->up ? 1 : 0, (unsigned long long)b->published, (unsigned long long)b->dropped,
                (unsigned long long)b->received, (unsigned long long)b->reconnects,
                (unsigned long long)b->pending, (unsigned long long)b->topics,
                (unsigned long long)b->bad);
}
