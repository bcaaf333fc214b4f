/* kfk CLI: the progress line long runs print on a terminal's stderr. */
#include "cli.h"

void cli_progress_start(cli_progress *p, const char *what, int64_t total)
{
    p->what = what;
    p->start_ns = p->last_ns = cli_now_ns();
    p->total = total;
    p->shown = false;
}

void cli_progress_update(cli_progress *p, int64_t done, int64_t bytes)
{
    if (!cli_term_state.err_tty) return;
    int64_t now = cli_now_ns();
    if (now - p->last_ns < 1000000000) return;
    p->last_ns = now;
    double secs = (double)(now - p->start_ns) / 1e9;
    double rate = secs > 0 ? (double)done / secs : 0;
    fprintf(stderr, "\r\033[K%s %lld records, %.0f rec/s, %.1f MB/s, %.0fs elapsed", p->what,
            (long long)done, rate, secs > 0 ? (double)bytes / secs / 1e6 : 0, secs);
    if (p->total > 0 && rate > 0)
        fprintf(stderr, ", ETA %.0fs", (double)(p->total - done) / rate);
    p->shown = true;
}

void cli_progress_end(cli_progress *p)
{
    if (p->shown) fprintf(stderr, "\r\033[K");
    p->shown = false;
}
