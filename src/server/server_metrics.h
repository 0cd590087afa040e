/* server_metrics - what /metrics reports, as Prometheus text exposition (format 0.0.4); no
 * I/O. Metric names are a public interface (dashboards and alerts use them): add, never
 * rename or remove. */
#ifndef PARLEY_SERVER_METRICS_H
#define PARLEY_SERVER_METRICS_H

#include "base/buf.h"
#include "server/server_chat.h"

/* Appends the whole exposition of m (borrowed) to out. */
void server_metrics_render(const server_metrics_t *m, buf_t *out);

#endif
