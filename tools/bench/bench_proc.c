/* bench_proc - reads VmRSS from /proc/PID/status, utime + stime (fields 14 and 15) from
 * /proc/PID/stat and run-queue wait from /proc/PID/schedstat. The command name in stat is in
 * parentheses and may itself contain spaces or parentheses, so fields are counted from the last
 * ')'. */
#include "bench_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    (void)fclose(f);
    return n > 0;
}

static bool read_rss(int pid, uint64_t *kb)
{
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if (!read_file(path, text, sizeof(text)))
        return false;
    const char *p = strstr(text, "VmRSS:");
    if (!p)
        return false;
    *kb = strtoull(p + 6, NULL, 10);
    return true;
}

static bool read_cpu(int pid, uint64_t *ticks)
{
    char path[64], text[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (!read_file(path, text, sizeof(text)))
        return false;
    const char *p = strrchr(text, ')');
    if (!p)
        return false;
    /* After ")": field 3 (state) is the first; utime and stime are fields 14 and 15. */
    p++;
    for (int field = 2; field < 14 && *p; p++)
        if (*p == ' ')
            field++;
    char *end;
    uint64_t ut = strtoull(p, &end, 10);
    uint64_t stime = strtoull(end, NULL, 10);
    *ticks = ut + stime;
    return true;
}

/* /proc/PID/schedstat: time on CPU, time waiting on a run queue (ns), timeslices. */
static bool read_wait(int pid, uint64_t *ns)
{
    char path[64], text[256];
    snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
    if (!read_file(path, text, sizeof(text)))
        return false;
    char *end;
    (void)strtoull(text, &end, 10);
    *ns = strtoull(end, NULL, 10);
    return true;
}

proc_sample_t proc_sample(int pid, uint64_t now_us)
{
    proc_sample_t s = {false, 0, 0, 0, now_us};
    if (pid <= 0)
        return s;
    s.ok = read_rss(pid, &s.rss_kb) && read_cpu(pid, &s.cpu_ticks);
    if (s.ok && !read_wait(pid, &s.wait_ns))
        s.wait_ns = 0; /* kernels without schedstats: reported as 0 % */
    return s;
}

double proc_cpu_pct(const proc_sample_t *a, const proc_sample_t *b)
{
    if (!a->ok || !b->ok || b->t_us <= a->t_us)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    double secs = (double)(b->t_us - a->t_us) / 1e6;
    return (double)(b->cpu_ticks - a->cpu_ticks) / hz / secs * 100.0;
}

double proc_wait_pct(const proc_sample_t *a, const proc_sample_t *b)
{
    if (!a->ok || !b->ok || b->t_us <= a->t_us)
        return -1;
    return (double)(b->wait_ns - a->wait_ns) / 1e3 / (double)(b->t_us - a->t_us) * 100.0;
}
