/* tui_colour - the web client's colour for a name, in a terminal.
 *
 * The web client gives each name a hue of its palette (web/dom.js: HUES, hueOf, FNV-1a over
 * the name's UTF-16 units) and shows names as hsl(hue 55% L). A terminal has 256 colours
 * (xterm's 16 system ones, a 6x6x6 cube, 24 greys) or 8: the nearest by RGB distance in the
 * first case, by hue in the second (RGB distance would turn a pale pink yellow). No curses
 * here: the numbers are the terminal's colour numbers. */
#include "tui/tui_colour.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui_text.h"

const int tui_colour_hues[TUI_NHUES] = {4,   22,  36,  140, 162, 184, 200,
                                        214, 232, 256, 276, 300, 322, 342};

int tui_colour_hue(const char *name)
{
    /* FNV-1a over UTF-16 code units, as JavaScript's charCodeAt gives them. */
    uint32_t h = 2166136261u;
    size_t n;
    wchar_t *w = tui_text_wide(name, &n);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)w[i];
        if (c >= 0x10000) {
            c -= 0x10000;
            h = (h ^ (0xD800 + (c >> 10))) * 16777619u;
            c = 0xDC00 + (c & 0x3ff);
        }
        h = (h ^ c) * 16777619u;
    }
    free(w);
    return tui_colour_hues[h % TUI_NHUES];
}

static void hsl_rgb(int hue, double s, double l, int rgb[3])
{
    double c = (1 - fabs(2 * l - 1)) * s, hp = hue / 60.0;
    double x = c * (1 - fabs(fmod(hp, 2) - 1)), m = l - c / 2, r = 0, g = 0, b = 0;
    if (hp < 1)
        r = c, g = x;
    else if (hp < 2)
        r = x, g = c;
    else if (hp < 3)
        g = c, b = x;
    else if (hp < 4)
        g = x, b = c;
    else if (hp < 5)
        r = x, b = c;
    else
        r = c, b = x;
    rgb[0] = (int)lround((r + m) * 255);
    rgb[1] = (int)lround((g + m) * 255);
    rgb[2] = (int)lround((b + m) * 255);
}

/* xterm's colours: the 16 system ones (their usual values), the 6x6x6 cube, the greys. */
static void xterm_rgb(int i, int rgb[3])
{
    static const int sys[16][3] = {{0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
                                   {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
                                   {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
                                   {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (i < 16) {
        memcpy(rgb, sys[i], sizeof sys[i]);
    } else if (i < 232) {
        rgb[0] = level[(i - 16) / 36];
        rgb[1] = level[(i - 16) / 6 % 6];
        rgb[2] = level[(i - 16) % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (i - 232);
    }
}

/* With 8 or 16 colours, distances in RGB pick yellow for a pale pink: the nearest hue of
 * the six coloured ones says more (red 0, yellow 60, green 120, cyan 180, blue 240,
 * magenta 300). */
static int nearest_basic(int hue)
{
    /* hue, then the colour's number (curses' COLOR_RED ... COLOR_MAGENTA) */
    static const int basic[6][2] = {{0, 1}, {60, 3}, {120, 2}, {180, 6}, {240, 4}, {300, 5}};
    int best = 1, best_d = 360;
    for (int i = 0; i < 6; i++) {
        int d = abs(hue - basic[i][0]);
        d = d > 180 ? 360 - d : d;
        if (d < best_d) {
            best_d = d;
            best = basic[i][1];
        }
    }
    return best;
}

int tui_colour_nearest(int hue, int light, int ncolors)
{
    if (ncolors < 256)
        return nearest_basic(hue);
    int want[3], best = 7;
    long best_d = -1;
    hsl_rgb(hue, 0.55, light / 100.0, want);
    int n = 256;
    for (int i = 1; i < n; i++) {
        if (i == 7 || i == 8 || i == 15 || i >= 232)
            continue; /* greys say nothing about a person */
        int c[3];
        xterm_rgb(i, c);
        long d = 0;
        for (int k = 0; k < 3; k++)
            d += (long)(c[k] - want[k]) * (c[k] - want[k]);
        if (best_d < 0 || d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return best;
}
