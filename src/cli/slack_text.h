/* slack_text - Slack's message markup and reaction names, to and from parley's text.
 *
 * Slack stores a message's text with its own escapes (docs.slack.dev "Formatting text"):
 * <@U123> and <@U123|name> mention a user, <#C123|name> a channel, <!channel> <!here>
 * <!everyone> the special mentions, <URL> and <URL|label> a link, and &amp; &lt; &gt; the
 * three characters it escapes. parley keeps the text as typed (docs/protocol.md; the web
 * client's format.js draws *bold*, _italic_, ~strike~, `code`, bare http(s) links, @name
 * and :shortcode:, the same emphasis rules as Slack's), so importing only undoes the
 * angle-bracket forms and the entities, and exporting does the reverse.
 *
 * Reactions: Slack names an emoji by its short name ("thumbsup"); parley stores the emoji
 * itself. A table of the common names maps both ways; any other name is kept as
 * ":name:" (what parley's web client shows as typed), and comes back as that name.
 *
 * Pure functions: no I/O, no logging; out of memory aborts (xmalloc). */
#ifndef PARLEY_SLACK_TEXT_H
#define PARLEY_SLACK_TEXT_H

#include <stddef.h>

/* The name of a Slack id (a user "U123" or a channel "C123", len bytes, not NUL-ended), or
 * NULL when unknown. */
typedef const char *(*slack_name_fn)(void *ctx, const char *id, size_t len);

/* Slack's text -> parley's, as a new string (the caller frees it). <@ID> becomes "@name"
 * (name: user(ID), else the label after '|', else the ID itself), <#ID|label> "#name" the
 * same way with channel(), <!channel>/<!everyone> "@channel", <!here> "@here", another <!...>
 * its label or nothing, <URL|label> "label (URL)" (just URL when the label is the URL
 * without its scheme, or when there is none), and the entities &amp; &lt; &gt; their
 * characters. A '<' without its '>' stays as it is. user and channel may be NULL. */
char *slack_text_import(const char *in, slack_name_fn user, slack_name_fn channel, void *ctx);

/* Finds the user mentioned at s (just after an '@', len bytes to the text's end): the Slack id
 * of the longest user name that s starts with, followed by no letter, digit, '_', '-' or '.',
 * with *matched its length; NULL for none. */
typedef const char *(*slack_mention_fn)(void *ctx, const char *s, size_t len, size_t *matched);

/* parley's text -> Slack's, as a new string: & < > escaped as entities, "@channel" and
 * "@here" (at a word start) as <!channel> and <!here>, and "@name" of a user that mention()
 * finds as <@ID>. mention may be NULL. */
char *slack_text_export(const char *in, slack_mention_fn mention, void *ctx);

/* A Slack reaction name ("thumbsup", "+1", "tada") -> the emoji parley stores: a static
 * string from the table, or NULL when the name is not in it. */
const char *slack_emoji_of(const char *name);
/* An emoji parley stores -> the Slack name: a static name from the table, or NULL. */
const char *slack_emoji_name(const char *emoji);

/* The parley reaction of a Slack name, into out (cap bytes): the table's emoji, else
 * ":name:". Returns its length, or 0 when it does not fit in max bytes (max < cap) or the
 * name is empty or holds white space, a ':' or a control character. */
size_t slack_emoji_import(const char *name, char *out, size_t cap, size_t max);
/* The Slack name of a parley reaction, into out: the table's name, else the text between
 * the colons of ":name:", else the emoji itself. Returns its length (0: did not fit). */
size_t slack_emoji_export(const char *emoji, char *out, size_t cap);

#endif
