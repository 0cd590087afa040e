/* term - a secret read from the terminal, for the command lines of both programs
 * (`parley user add`, `parley-cli login`). */
#ifndef PARLEY_TERM_H
#define PARLEY_TERM_H

#include <stddef.h>

/* One line of stdin without its line end, in a new buffer (*len its bytes when len is not
 * NULL). When stdin is a terminal, prompt goes to stderr and the line is typed without echo
 * (the terminal is put back as it was after). NULL at end of input. */
char *term_read_secret(const char *prompt, size_t *len);

#endif
