/* store_worker_int - what the shared worker's two files share (not for other modules):
 * store_worker_op.c makes operations (each a copy of its arguments, in one allocation),
 * keeps them in lists and calls them back; store_worker.c runs them on its threads. */
#ifndef PARLEY_STORE_WORKER_INT_H
#define PARLEY_STORE_WORKER_INT_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_worker.h"

/* Writes first: kind <= OP_PROBE is the writer's, the rest the readers'. */
enum { OP_APPEND, OP_CHANGE, OP_PROBE, OP_QUERY, OP_SEARCH, OP_COUNTS, OP_POSITIONS };

typedef struct op {
    struct op *next;
    int kind;
    int status;
    uint64_t epoch;    /* writes: the recover epoch when submitted */
    uint64_t group;    /* the group it was submitted in, 0 for none */
    const void *owner; /* reads: for store_cancel */
    void *ctx;
    union {
        store_appended_cb append;
        store_append_cb write; /* changes, probes */
        store_query_cb read;
    } cb;
    /* Appends: what the backend reported, valid once the transaction committed (status 0). */
    uint64_t seq;
    bool duplicate;
    union {
        store_msg_t msg;
        store_change_t change;
        store_query_t query;
        store_search_t search;
        uint64_t user_id; /* OP_COUNTS */
    } u;
    store_rows_t rows;
    alignas(max_align_t) char data[]; /* search terms or mention ids, then every string */
} op_t;

typedef struct {
    op_t *head, *tail;
} op_list_t;

static inline bool op_is_write(const op_t *op)
{
    return op->kind == OP_APPEND || op->kind == OP_CHANGE;
}

static inline bool op_is_read(const op_t *op)
{
    return op->kind > OP_PROBE;
}

/* Copies of the arguments, in one allocation each (the caller keeps its own); cb and ctx
 * as given. The callers check the arguments first (store_worker.c). */
op_t *store_op_append(const store_msg_t *m, store_appended_cb cb, void *ctx);
op_t *store_op_change(const store_change_t *c, store_append_cb cb, void *ctx);
op_t *store_op_probe(store_append_cb cb, void *ctx);
op_t *store_op_query(const store_query_t *q, store_query_cb cb, void *ctx);
op_t *store_op_search(const store_search_t *q, store_query_cb cb, void *ctx);
op_t *store_op_counts(uint64_t user_id, const void *owner, store_query_cb cb, void *ctx);
op_t *store_op_positions(const void *owner, store_query_cb cb, void *ctx);

void store_op_push(op_list_t *l, op_t *op);
/* The first op of l, taken off it; NULL when l is empty. */
op_t *store_op_pop(op_list_t *l);
/* Moves up to max ops from the front of src to dst (empty before), and then the rest of a
 * group the last of them is in: a group is never cut. Returns how many. */
size_t store_op_take(op_list_t *src, size_t max, op_list_t *dst);
/* Appends all of src to dst; src is empty afterwards. */
void store_op_splice(op_list_t *dst, op_list_t *src);
/* Calls back and frees every op of l, in order, popping each before its callback so that a
 * callback that closes the store (which drains the same list) cannot see an op twice. */
void store_op_drain(op_list_t *l);

#endif
