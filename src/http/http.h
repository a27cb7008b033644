/* http.h - the daemon's small read-only web server (libmicrohttpd):
 * GET /metrics, / (the dashboard) and /api/feed, served from the worker's
 * event loop (docs/metrics.md). MHD runs in external epoll mode: no thread
 * of its own; the loop polls http_fd and calls http_run, so the pages are
 * rendered from the loop's own counters, never read from another thread. */
#ifndef A5_HTTP_H
#define A5_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_LISTEN_MAX 64	/* "[IPv6]:PORT" */
#define HTTP_TOKEN_MAX 256	/* bytes of a bearer token */
#define HTTP_TOKEN_MIN 16

struct outbuf;
struct http_server;

enum http_page { HTTP_PAGE_METRICS, HTTP_PAGE_DASHBOARD, HTTP_PAGE_FEED };

/* Renders one page into out: 0, or -1 (answered 500). */
typedef int (*http_render_cb)(void *arg, enum http_page page, struct outbuf *out);

/* "ADDR:PORT" or "[ADDR]:PORT", a numeric IPv4 or IPv6 address and a port
 * 1..65535. 0 and *loopback (127.0.0.0/8 or ::1), or -1 with err filled. */
int http_listen_parse(const char *text, bool *loopback, char *err, size_t errlen);

/* Binds listen (checked again here) and serves with render. token_file:
 * "" for none (then listen must be loopback), else a file holding the
 * token (HTTP_TOKEN_MIN..HTTP_TOKEN_MAX printable bytes, one line) that
 * every request must bring as "Authorization: Bearer TOKEN". Called
 * before the worker confines itself: the token file may be root's. NULL
 * with err filled. */
struct http_server *http_open(const char *listen, const char *token_file, http_render_cb render,
    void *arg, char *err, size_t errlen);
/* The fd to poll (readable: call http_run). */
int http_fd(const struct http_server *s);
/* Accepts, reads, answers what is ready, and ends idle connections. */
void http_run(struct http_server *s);
void http_close(struct http_server *s);

#endif
