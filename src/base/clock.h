/* clock - the two clocks the server needs: wall time for message timestamps (Unix ms, as
 * the protocol's `ts`) and a monotonic clock for timeouts, which must not jump with NTP. */
#ifndef PARLEY_CLOCK_H
#define PARLEY_CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void);  /* Unix time in milliseconds */
uint64_t clock_mono_ms(void); /* monotonic milliseconds, arbitrary origin */

#endif
