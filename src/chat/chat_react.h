/* chat_react - the reactions in force in one channel: a set of (message, user, emoji), with
 * the counts that the limits on one message need (its distinct emoji, a user's reactions
 * on it).
 *
 * A hash set, so that toggling a reaction and loading a channel's stored reaction events at
 * start-up cost O(1) each, whatever number a channel holds (a linear scan made start-up
 * quadratic in reactions); the counts are kept in step, so they cost O(1) too. No I/O, no
 * knowledge of channels. */
#ifndef PARLEY_CHAT_REACT_H
#define PARLEY_CHAT_REACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/chat_defs.h"

typedef struct chat_react chat_react_t;

chat_react_t *chat_react_new(void);
void chat_react_free(chat_react_t *r);
/* Whether user has emoji (NUL-terminated) on message target. */
bool chat_react_has(const chat_react_t *r, uint64_t target, uint64_t user, const char *emoji);
/* Sets or clears it; an emoji longer than CHAT_EMOJI_MAX bytes (none is accepted) is never
 * held. */
void chat_react_set(chat_react_t *r, uint64_t target, uint64_t user, const char *emoji, bool on);
/* Reactions held, in all. */
size_t chat_react_count(const chat_react_t *r);
/* Whether anyone holds emoji on target. */
bool chat_react_any(const chat_react_t *r, uint64_t target, const char *emoji);
/* The distinct emoji held on target, by anyone. */
size_t chat_react_distinct(const chat_react_t *r, uint64_t target);
/* The reactions user holds on target. */
size_t chat_react_mine(const chat_react_t *r, uint64_t target, uint64_t user);

#endif
