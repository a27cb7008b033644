/* http.c - the read-only web server on libmicrohttpd (http.h): GET only,
 * three paths, a bearer token when configured, and every connection
 * bounded (count, per-address count, idle time, memory). MHD runs in
 * external epoll mode, driven by the worker's loop: no thread reads the
 * daemon's counters behind the loop's back. Rejected: an internal polling
 * thread with a mutex-guarded snapshot (a second writer of the daemon's
 * state to reason about, for pages fetched a few times a minute). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/control.h"
#include "http/http.h"

/* Bounds on what a client may hold: the pages are small and fetched by one
 * operator, a browser or a scraper. */
#define HTTP_CONNECTIONS_MAX 16
#define HTTP_PER_IP_MAX 8
#define HTTP_IDLE_SECS 10
#define HTTP_CONN_MEMORY (32 * 1024)

struct http_server {
	struct MHD_Daemon *mhd;
	http_render_cb render;
	void *arg;
	char token[HTTP_TOKEN_MAX + 1];
	size_t token_len;	/* 0: no token */
};

/* The page, a JS/CSS-only document: nothing may be loaded from elsewhere. */
static const char csp[] = "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

int
http_listen_parse(const char *text, bool *loopback, char *err, size_t errlen)
{
	char host[HTTP_LISTEN_MAX];
	const char *colon, *h = text;
	size_t hlen;
	uint64_t port;
	struct in_addr a4;
	struct in6_addr a6;

	if (strlen(text) >= HTTP_LISTEN_MAX) {
		snprintf(err, errlen, "'%s' is too long, expected ADDR:PORT", text);
		return -1;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "bad address '%s', expected [IPv6]:PORT", text);
			return -1;
		}
		h = text + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL) {
			snprintf(err, errlen, "bad address '%s', expected ADDR:PORT (an IPv6 address "
			    "in brackets: [::1]:PORT)", text);
			return -1;
		}
		hlen = (size_t)(colon - text);
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (uint_parse(colon + 1, 1, 65535, &port) != 0) {
		snprintf(err, errlen, "bad port in '%s', expected 1..65535", text);
		return -1;
	}
	if (text[0] != '[' && inet_pton(AF_INET, host, &a4) == 1)
		*loopback = (ntohl(a4.s_addr) >> 24) == 127;
	else if (text[0] == '[' && inet_pton(AF_INET6, host, &a6) == 1)
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	else {
		snprintf(err, errlen, "bad address '%s', expected a numeric IPv4 or [IPv6] address",
		    host);
		return -1;
	}
	return 0;
}

/* Fills ss from a listen text already checked by http_listen_parse. */
static socklen_t
listen_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	char host[HTTP_LISTEN_MAX];
	const char *colon = strrchr(text, ':');
	uint64_t port = 0;

	memset(ss, 0, sizeof(*ss));
	uint_parse(colon + 1, 1, 65535, &port);
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t n = (size_t)(strchr(text, ']') - text - 1);
		memcpy(host, text + 1, n);
		host[n] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	size_t n = (size_t)(colon - text);
	memcpy(host, text, n);
	host[n] = '\0';
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &s4->sin_addr);
	return sizeof(*s4);
}

/* One line of printable ASCII, without spaces, HTTP_TOKEN_MIN to
 * HTTP_TOKEN_MAX bytes; the file must not be readable by others. */
static int
token_load(const char *path, char *tok, size_t *len, char *err, size_t errlen)
{
	char buf[HTTP_TOKEN_MAX + 3];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		snprintf(err, errlen, "http_token %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0007) != 0) {
		snprintf(err, errlen, "http_token %s: must be a regular file not readable by "
		    "others (chmod 600 or 640)", path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "http_token %s: %s", path, strerror(errno));
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] <= ' ' || buf[i] > '~') {
			snprintf(err, errlen, "http_token %s: the token must be one line of printable "
			    "characters without spaces", path);
			sodium_memzero(buf, sizeof(buf));
			return -1;
		}
	if (n < HTTP_TOKEN_MIN || n > HTTP_TOKEN_MAX) {
		snprintf(err, errlen, "http_token %s: the token must have %d to %d characters",
		    path, HTTP_TOKEN_MIN, HTTP_TOKEN_MAX);
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(tok, buf, (size_t)n);
	tok[n] = '\0';
	*len = (size_t)n;
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx("http: %s", msg);
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len,
    bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"article5\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
answer_text(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return answer(c, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg), false);
}

/* "Bearer TOKEN", compared in constant time. */
static bool
authorized(const struct http_server *s, struct MHD_Connection *c)
{
	const char *h;

	if (s->token_len == 0)
		return true;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	return strlen(h) == s->token_len && sodium_memcmp(h, s->token, s->token_len) == 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	static const struct { const char *path; enum http_page page; const char *type; } pages[] = {
		{ "/", HTTP_PAGE_DASHBOARD, "text/html; charset=utf-8" },
		{ "/metrics", HTTP_PAGE_METRICS, "text/plain; version=0.0.4; charset=utf-8" },
		{ "/api/feed", HTTP_PAGE_FEED, "application/json" },
	};
	struct http_server *s = cls;
	struct outbuf out = { 0 };
	size_t i;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET or HEAD\n");
	if (*upload_len != 0)
		return answer_text(c, MHD_HTTP_BAD_REQUEST, "no body expected\n");
	if (!authorized(s, c))
		return answer_text(c, MHD_HTTP_UNAUTHORIZED, "a bearer token is required\n");
	for (i = 0; i < ARRAY_LEN(pages); i++)
		if (strcmp(url, pages[i].path) == 0)
			break;
	if (i == ARRAY_LEN(pages))
		return answer_text(c, MHD_HTTP_NOT_FOUND, "not found: try / or /metrics\n");
	if (s->render(s->arg, pages[i].page, &out) != 0 || out.overflow) {
		outbuf_free(&out);
		return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "could not render the page\n");
	}
	return answer(c, MHD_HTTP_OK, pages[i].type, out.data, out.len, true);
}

struct http_server *
http_open(const char *listen, const char *token_file, http_render_cb render, void *arg,
    char *err, size_t errlen)
{
	struct http_server *s;
	struct sockaddr_storage ss;
	bool loopback = false;

	if (http_listen_parse(listen, &loopback, err, errlen) != 0)
		return NULL;
	if (!loopback && token_file[0] == '\0') {
		snprintf(err, errlen, "http %s: not a loopback address, and no http_token", listen);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->render = render;
	s->arg = arg;
	if (token_file[0] != '\0' && token_load(token_file, s->token, &s->token_len, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	listen_sockaddr(listen, &ss);
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,	/* first, or MHD warns */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)HTTP_CONNECTIONS_MAX,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		snprintf(err, errlen, "http %s: cannot listen (address in use or not on this host?)",
		    listen);
		sodium_memzero(s->token, sizeof(s->token));
		free(s);
		return NULL;
	}
	return s;
}

int
http_fd(const struct http_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

void
http_run(struct http_server *s)
{
	/* MHD_run handles what is ready; a response larger than the socket
	 * buffer goes on at the next readiness of the epoll fd. */
	MHD_run(s->mhd);
}

void
http_close(struct http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	sodium_memzero(s->token, sizeof(s->token));
	free(s);
}
