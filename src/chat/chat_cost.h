/* chat_cost - what each request costs against the rate limit: the one table of it.
 *
 * Every request of a joined JSON session pays from the user's bucket (and, for a guest, its
 * address's): `--rate` tokens a second, up to `--burst` (auth_rate_take). A message is 1,
 * so the flags read as messages; reads cost by the work they make; state changes that fan
 * out to every member or grow the server (a topic, a membership, a channel, a direct
 * message) cost more, so that a flood of them is slow while a person creating a few
 * channels and inviting a dozen people in a row is not held.
 *
 * When it pays: a read pays all of its cost on arrival, before its handler runs. A state
 * change pays CHAT_COST_TOLL on arrival and the rest when it acts, after its checks
 * passed: one that is refused (a bad name, no right, a quota) or changes nothing (joining
 * a channel one is in, opening a direct message that exists) has cost what a message costs,
 * so a client correcting its mistakes is not held, and a flood of refusals is held all the
 * same. Text-mode lines pay as `msg`. A cost above the burst is taken as the burst.
 * Pure: no state. docs/protocol.md ("Rate limit") carries the same table. */
#ifndef PARLEY_CHAT_COST_H
#define PARLEY_CHAT_COST_H

/* A typing that is relayed pays this, in its handler: ones dropped by the one-a-second
 * throttle cost nothing, like the keep-alive ping. */
#define CHAT_COST_TYPING 1u

/* What a state change pays on arrival. */
#define CHAT_COST_TOLL 1u

/* The whole cost of a request of type; 0 for what is free or paid by its handler (ping,
 * join, typing) and for unknown types (answered bad_type, which reaches nobody else). */
unsigned chat_cost_of(const char *type);
/* What it pays on arrival, before its handler runs: all of it, but CHAT_COST_TOLL for a
 * state change, whose handler pays the rest (chat_cost_of - chat_cost_upfront) when it
 * acts. */
unsigned chat_cost_upfront(const char *type);

#endif
