/* http_negotiate - the two request headers that let a static file be sent compressed and
 * revalidated: Accept-Encoding (RFC 9110 12.5.3) and If-None-Match (RFC 9110 13.1.2).
 * Pure functions over borrowed strings; no I/O, no heap. */
#ifndef PARLEY_HTTP_NEGOTIATE_H
#define PARLEY_HTTP_NEGOTIATE_H

#include <stdbool.h>

/* Whether a response may be sent with "Content-Encoding: gzip" for this Accept-Encoding
 * value (NULL when the header is absent). The value is a comma-separated list of codings,
 * each with optional parameters; "q" (case-insensitive) is its weight, 0 to 1 with at most
 * three decimals. gzip is chosen when its weight is above 0 and not below identity's:
 * "gzip" or "x-gzip" named, or else "*", gives gzip's weight; identity states a preference
 * only when named ("br, gzip;q=0.5" takes gzip, as browsers and servers read it;
 * "gzip;q=0.5, identity" does not). A member whose weight is malformed
 * ("q=2", "q=0.0001", "q=x") is ignored as a whole, as if it were not there (a client that
 * cannot say what it wants gets what everyone can read). Absent or "": false. */
bool http_accepts_gzip(const char *accept_encoding);

/* Whether If-None-Match (NULL when absent) matches etag, a quoted entity tag such as
 * "\"3f2a...\"": "*" matches anything; otherwise any member of the comma-separated list
 * equal to etag by the weak comparison (a "W/" prefix on either side is ignored).
 * A malformed list matches nothing, so the full response is sent. */
bool http_etag_matches(const char *if_none_match, const char *etag);

#endif
