/* control_views.h - the worker's read-only answers to control requests
 * (status, status SERVICE, bans, history), apart from the requests that
 * change state (control_handlers.c). Nothing outside src/daemon/ includes
 * it. */
#ifndef A5_CONTROL_VIEWS_H
#define A5_CONTROL_VIEWS_H

struct daemon;
struct outbuf;
struct control_request;

/* The answers' shapes: {"error": MSG} / "error: MSG", {"ok": true,
 * "message": MSG} / "MSG". */
void answer_error(struct outbuf *out, int json, const char *msg);
void answer_ok(struct outbuf *out, int json, const char *msg);

/* control_status.c */
void view_status(struct daemon *d, struct outbuf *out, int json);
void view_status_service(struct daemon *d, struct outbuf *out, const struct control_request *r);
void view_bans(struct daemon *d, struct outbuf *out, const struct control_request *r);

/* control_history.c */
void view_history(struct daemon *d, struct outbuf *out, const struct control_request *r);

#endif
