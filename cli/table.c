/* kfk CLI: tables, aligned on a terminal and tab-separated in a pipe, so
 * scripts can cut(1) them. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_table {
    size_t ncols, nrows, cap;
    const char *const *headers;
    char **cells; /* nrows * ncols, row-major */
};

cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
    cli_table *t = cli_need(calloc(1, sizeof(*t)));
    t->ncols = ncols;
    t->headers = headers;
    return t;
}

void cli_table_row(cli_table *t)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = cli_need(realloc(t->cells, t->cap * t->ncols * sizeof(char *)));
    }
    memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof(char *));
    t->nrows++;
}

void cli_table_addf(cli_table *t, size_t col, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) cli_need(NULL); /* out of memory: exits */
    va_end(ap);
    char **cell = &t->cells[(t->nrows - 1) * t->ncols + col];
    free(*cell);
    *cell = s;
}

void cli_table_add(cli_table *t, ...)
{
    cli_table_row(t);
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = va_arg(ap, const char *);
        cli_table_addf(t, c, "%s", s ? s : "-");
    }
    va_end(ap);
}

static const char *cell(const cli_table *t, size_t r, size_t c)
{
    const char *s = t->cells[r * t->ncols + c];
    return s ? s : "-";
}

void cli_table_print(cli_table *t, FILE *f)
{
    bool tty = cli_term_state.out_tty;
    size_t *w = cli_need(calloc(t->ncols, sizeof(size_t)));
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->headers[c]);
        for (size_t r = 0; r < t->nrows; r++)
            if (strlen(cell(t, r, c)) > w[c]) w[c] = strlen(cell(t, r, c));
    }
    /* Piped output has no header line, one record per line. */
    if (tty) {
        bool bold = cli_term_state.color;  /* tty is true here */
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(f, "%s%-*s%s%s", bold ? "\033[1m" : "", c + 1 < t->ncols ? (int)w[c] : 0,
                    t->headers[c], bold ? "\033[0m" : "", c + 1 < t->ncols ? "  " : "\n");
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            bool last = c + 1 == t->ncols;
            if (tty)
                fprintf(f, "%-*s%s", last ? 0 : (int)w[c], cell(t, r, c), last ? "\n" : "  ");
            else
                fprintf(f, "%s%s", cell(t, r, c), last ? "\n" : "\t");
        }
    free(w);
}

void cli_table_destroy(cli_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    free(t);
}
