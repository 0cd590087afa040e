/* tui_colour - the web client's per-name colours (web/dom.js) matched to the nearest of a
 * terminal's colours. */
#ifndef PARLEY_TUI_COLOUR_H
#define PARLEY_TUI_COLOUR_H

#define TUI_NHUES 14

/* The web client's palette of hues (web/dom.js HUES), in its order. */
extern const int tui_colour_hues[TUI_NHUES];

/* The web client's hue for a name (web/dom.js hueOf: FNV-1a over its UTF-16 units). */
int tui_colour_hue(const char *name);
/* The terminal colour for hsl(hue, 55%, light%): the nearest of xterm's 256 by RGB when
 * ncolors is 256 or more, else the basic colour (1-6) of the nearest hue. */
int tui_colour_nearest(int hue, int light, int ncolors);

#endif
