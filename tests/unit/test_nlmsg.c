/* test_nlmsg.c - the enforcer's nfnetlink codec: what it builds reads back
 * (nests, padding, lengths), a buffer past its ceiling is poisoned and not
 * sent, and the readers refuse every length that runs past the end, a
 * short header, a repeated or trailing attribute. */
#include "testutil.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#include "enforcer/nlmsg.h"

/* A NEWSETELEM-like message: table, set, one element with a key. */
static size_t
build(struct nlmsg_buf *b, uint32_t seq)
{
	static const uint8_t key[4] = { 192, 0, 2, 7 };
	size_t m = nlmsg_begin(b, NFT_TYPE(NFT_MSG_NEWSETELEM), NLM_F_CREATE, seq, NFPROTO_INET, 0);
	nlmsg_put_str(b, NFTA_SET_ELEM_LIST_TABLE, "article5");
	nlmsg_put_str(b, NFTA_SET_ELEM_LIST_SET, "ban4");
	size_t list = nlmsg_nest_begin(b, NFTA_SET_ELEM_LIST_ELEMENTS);
	size_t el = nlmsg_nest_begin(b, NFTA_LIST_ELEM);
	size_t k = nlmsg_nest_begin(b, NFTA_SET_ELEM_KEY);
	nlmsg_put(b, NFTA_DATA_VALUE, key, sizeof(key));
	nlmsg_nest_end(b, k);
	nlmsg_nest_end(b, el);
	nlmsg_nest_end(b, list);
	nlmsg_end(b, m);
	return m;
}

static void
test_roundtrip(void **state)
{
	uint8_t mem[512];
	struct nlmsg_buf b;
	struct nlmsg_view v;
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_ELEMENTS + 1], *el, *kb[NFTA_DATA_VALUE + 1];
	(void)state;

	nlmsg_buf_fixed(&b, mem, sizeof(mem));
	build(&b, 41);
	build(&b, 42);
	assert_false(b.overflow);
	assert_int_equal(b.len % 4, 0);
	const uint8_t *p = b.b;
	size_t left = b.len;
	for (uint32_t seq = 41; seq <= 42; seq++) {
		assert_int_equal(nlmsg_next(&p, &left, &v), 1);
		assert_int_equal(v.h.nlmsg_seq, seq);
		assert_int_equal(v.h.nlmsg_type, NFT_TYPE(NFT_MSG_NEWSETELEM));
		assert_int_equal(v.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE);
		assert_int_equal(v.nfg.nfgen_family, NFPROTO_INET);
		assert_false(v.short_nfg);
		assert_int_equal(nlmsg_attr_parse(v.attrs, v.alen, tb, NFTA_SET_ELEM_LIST_ELEMENTS), 0);
		assert_true(nlmsg_attr_is(tb[NFTA_SET_ELEM_LIST_TABLE], "article5"));
		assert_false(nlmsg_attr_is(tb[NFTA_SET_ELEM_LIST_TABLE], "article"));
		assert_true(nlmsg_attr_is(tb[NFTA_SET_ELEM_LIST_SET], "ban4"));
		const uint8_t *lp = nlmsg_attr_data(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
		size_t ll = nlmsg_attr_len(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
		assert_int_equal(nlmsg_attr_next(&lp, &ll, &el), 1);
		assert_int_equal(nlmsg_attr_type(el), NFTA_LIST_ELEM);	/* the nested flag is masked */
		const struct nlattr *key = nlmsg_attr_find(nlmsg_attr_data(el), nlmsg_attr_len(el),
		    NFTA_SET_ELEM_KEY);
		assert_non_null(key);
		assert_int_equal(nlmsg_attr_parse(nlmsg_attr_data(key), nlmsg_attr_len(key), kb,
		    NFTA_DATA_VALUE), 0);
		assert_int_equal(nlmsg_attr_len(kb[NFTA_DATA_VALUE]), 4);
		assert_int_equal(nlmsg_attr_data(kb[NFTA_DATA_VALUE])[3], 7);
		assert_int_equal(nlmsg_attr_next(&lp, &ll, &el), 0);	/* one element */
	}
	assert_int_equal(nlmsg_next(&p, &left, &v), 0);
}

/* Past the fixed buffer: poisoned, stays poisoned, is not sent. */
static void
test_overflow(void **state)
{
	uint8_t mem[64], big[100] = { 0 };
	struct nlmsg_buf b;
	(void)state;

	nlmsg_buf_fixed(&b, mem, sizeof(mem));
	nlmsg_begin(&b, NFT_TYPE(NFT_MSG_GETSET), 0, 1, NFPROTO_INET, 0);
	assert_false(b.overflow);
	size_t before = b.len;
	nlmsg_put(&b, NFTA_SET_NAME, big, sizeof(big));
	assert_true(b.overflow);
	assert_int_equal(b.len, before);
	nlmsg_put_str(&b, NFTA_SET_NAME, "x");	/* would fit, but the message is lost */
	assert_int_equal(b.len, before);
	errno = 0;
	assert_int_equal(nlmsg_send(-1, &b), -1);
	assert_int_equal(errno, EMSGSIZE);
	nlmsg_buf_reset(&b);
	assert_false(b.overflow);
	assert_int_equal(b.len, 0);

	/* a growable buffer stops at its ceiling too */
	struct nlmsg_buf g;
	nlmsg_buf_init(&g, 1024);
	for (int i = 0; i < 100; i++)
		nlmsg_put(&g, 1, big, 50);
	assert_true(g.overflow);
	assert_true(g.len <= 1024);
	nlmsg_buf_free(&g);
	/* an attribute longer than its 16-bit length can say */
	nlmsg_buf_init(&g, 1 << 20);
	static uint8_t huge[70000];
	nlmsg_put(&g, 1, huge, sizeof(huge));
	assert_true(g.overflow);
	nlmsg_buf_free(&g);
}

static void
put_hdr(uint8_t *p, uint32_t len, uint16_t type)
{
	struct nlmsghdr h;

	memset(&h, 0, sizeof(h));
	h.nlmsg_len = len;
	h.nlmsg_type = type;
	memcpy(p, &h, sizeof(h));
}

static void
put_attr(uint8_t *p, uint16_t len, uint16_t type)
{
	struct nlattr a = { len, type };

	memcpy(p, &a, sizeof(a));
}

static void
test_malformed(void **state)
{
	uint8_t buf[256] = { 0 };
	struct nlmsg_view v;
	const uint8_t *p;
	size_t left;
	(void)state;

	/* shorter than a header */
	p = buf;
	left = 10;
	assert_int_equal(nlmsg_next(&p, &left, &v), -1);
	/* a length past the end, or below a header */
	put_hdr(buf, 200, 0);
	p = buf;
	left = 100;
	assert_int_equal(nlmsg_next(&p, &left, &v), -1);
	put_hdr(buf, 8, 0);
	p = buf;
	left = 100;
	assert_int_equal(nlmsg_next(&p, &left, &v), -1);
	/* a last message of unaligned length ends the buffer cleanly */
	put_hdr(buf, 23, 0);
	p = buf;
	left = 23;
	assert_int_equal(nlmsg_next(&p, &left, &v), 1);
	assert_int_equal(left, 0);
	assert_int_equal(nlmsg_next(&p, &left, &v), 0);
	/* no room for an nfgenmsg */
	put_hdr(buf, 16, 0);
	p = buf;
	left = 16;
	assert_int_equal(nlmsg_next(&p, &left, &v), 1);
	assert_true(v.short_nfg);
	assert_null(v.attrs);
	/* an error message too short for its body; an ack */
	put_hdr(buf, 20, NLMSG_ERROR);
	p = buf;
	left = 20;
	int err = 7;
	assert_int_equal(nlmsg_next(&p, &left, &v), 1);
	assert_int_equal(nlmsg_error(&v, &err, NULL), -1);
	put_hdr(buf, NLMSG_LENGTH(sizeof(struct nlmsgerr)), NLMSG_ERROR);
	struct nlmsgerr ne = { .error = -ENOENT };
	ne.msg.nlmsg_seq = 9;
	memcpy(buf + NLMSG_HDRLEN, &ne, sizeof(ne));
	p = buf;
	left = NLMSG_LENGTH(sizeof(ne));
	struct nlmsghdr req;
	assert_int_equal(nlmsg_next(&p, &left, &v), 1);
	assert_int_equal(nlmsg_error(&v, &err, &req), 1);
	assert_int_equal(err, ENOENT);
	assert_int_equal(req.nlmsg_seq, 9);

	/* attributes: a length below a header, past the end, a repeated type,
	 * trailing bytes */
	const struct nlattr *tb[4];
	put_attr(buf, 2, 1);
	assert_int_equal(nlmsg_attr_parse(buf, 8, tb, 3), -1);
	put_attr(buf, 12, 1);
	assert_int_equal(nlmsg_attr_parse(buf, 8, tb, 3), -1);
	assert_null(nlmsg_attr_find(buf, 8, 1));
	put_attr(buf, 8, 1);
	put_attr(buf + 8, 8, 1);
	assert_int_equal(nlmsg_attr_parse(buf, 16, tb, 3), -1);
	assert_non_null(nlmsg_attr_find(buf, 16, 1));
	put_attr(buf + 8, 8, 2);
	assert_int_equal(nlmsg_attr_parse(buf, 16, tb, 3), 0);
	assert_int_equal(nlmsg_attr_parse(buf, 18, tb, 3), -1);
	/* a type above max is skipped, not refused */
	put_attr(buf + 8, 8, 9);
	assert_int_equal(nlmsg_attr_parse(buf, 16, tb, 3), 0);
	assert_null(tb[2]);
	/* integers of exactly their size */
	uint32_t v32;
	uint64_t v64;
	put_attr(buf, 8, 1);
	buf[4] = 1;
	buf[5] = 2;
	buf[6] = 3;
	buf[7] = 4;
	assert_int_equal(nlmsg_attr_be32((const struct nlattr *)buf, &v32), 0);
	assert_int_equal(v32, 0x01020304);
	assert_int_equal(nlmsg_attr_be64((const struct nlattr *)buf, &v64), -1);
	assert_int_equal(nlmsg_attr_be32(NULL, &v32), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
