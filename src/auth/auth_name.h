/* auth_name - names that cannot be faked: the canonical form a user name is unique in, and
 * the characters no name, display name, channel name or topic may hold.
 *
 * The canonical form (UTS #39 section 4, with ICU's uspoof): NFKC, then full case folding,
 * then the confusable skeleton, then NFKC again, so that "alice", "Alice", "ａｌｉｃｅ"
 * (fullwidth) and "аlice" (Cyrillic а) all map to one string. It is a key, never shown.
 * The last NFKC is NFKC_Casefold (a second fold: the skeleton's prototypes may be capitals,
 * "b0b" -> "bOb", which must key as "bob"), and runs of spaces become one ("a  b" is shown
 * as "a b"). ICU 72 also keys "m" as "rn"; it does not key "I" (capital i) as "l", since
 * the first fold makes it "i" before the skeleton sees it.
 * No I/O, no logging; safe on any thread (ICU's spoof checker is built once, lazily, under
 * a once-flag). */
#ifndef PARLEY_AUTH_NAME_H
#define PARLEY_AUTH_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_CANON_MAX 1024 /* bytes of a canonical form, NUL included */

/* True when s (len bytes) is valid UTF-8 without control characters (Cc), bidi controls
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), zero-width or invisible
 * characters (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E, U+3164, U+FFA0, U+115F,
 * U+1160, U+2800, and any other default-ignorable code point), line or paragraph
 * separators (U+2028, U+2029) or unassigned code points (as of ICU's Unicode version). For
 * display names, channel names and topics (newlines are control characters: a topic is
 * one line). The invisible parts of emoji are allowed where they build one: U+FE0E/U+FE0F
 * right after an emoji, U+200D between two pictographs (never in user names). */
bool auth_text_safe(const char *s, size_t len);

/* True for a user name: auth_text_safe without the emoji allowance, 1 to max_chars code points, at
 * most 256 bytes, no white space at either end, not only punctuation or symbols. */
bool auth_name_valid(const char *s, size_t len, size_t max_chars);

/* The canonical form of a name (valid per auth_name_valid) into out (size bytes).
 * Returns its length, or -1 when ICU fails or it does not fit. */
int auth_name_canon(const char *s, size_t len, char *out, size_t size);

/* True when the name is reserved: "anonymous" and anything starting with "Client #", in
 * any canonical form (text-mode users are called so). Also true when the name has no
 * canonical form (auth_name_canon fails): refused rather than guessed. */
bool auth_name_reserved(const char *s, size_t len);

#endif
