/* wirebuf.h - the bounded writer and reader every coalition codec uses
 * (wire.c, governance.c). The writer remembers an overflow instead of
 * failing each call, so an encoder reads as a plain list of fields and
 * checks once at the end; every read checks what is left first (bgpd's
 * ibuf_get). Integers are big-endian. */
#ifndef A5_WIREBUF_H
#define A5_WIREBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wbuf {
	uint8_t *p;
	size_t cap, off;
	bool overflow;
};

static inline void
put_bytes(struct wbuf *w, const void *b, size_t n)
{
	if (w->overflow || n > w->cap - w->off) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->off, b, n);
	w->off += n;
}

static inline void
put_uint(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put_bytes(w, b, n);
}

struct rbuf {
	const uint8_t *p;
	size_t len, off;
};

static inline int
get_bytes(struct rbuf *r, void *out, size_t n)
{
	if (n > r->len - r->off)
		return -1;
	memcpy(out, r->p + r->off, n);
	r->off += n;
	return 0;
}

static inline int
get_uint(struct rbuf *r, size_t n, uint64_t *v)
{
	if (n > r->len - r->off)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = (*v << 8) | r->p[r->off + i];
	r->off += n;
	return 0;
}

#endif
