/* prefixlist.c - short prefix lists: allowlists and the host's own addresses. */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/prefixlist.h"

void
prefixlist_init(struct prefixlist *l)
{
	l->n = 0;
}

int
prefixlist_add(struct prefixlist *l, const struct a5_prefix *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (prefix_equal(&l->p[i], p))
			return 0;
	if (l->n >= PREFIXLIST_MAX)
		return -1;
	l->p[l->n++] = *p;
	return 0;
}

bool
prefixlist_overlaps(const struct prefixlist *l, const struct a5_prefix *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (prefix_overlaps(&l->p[i], p))
			return true;
	return false;
}

int
prefixlist_add_local(struct prefixlist *l)
{
	struct ifaddrs *ifa, *i;
	struct a5_prefix p;
	int added = 0;

	memset(&p, 0, sizeof(p));
	p.family = A5_AF_INET;
	p.addr[0] = 127;
	prefix_truncate(&p, 8);
	if (prefixlist_add(l, &p) == 0)
		added++;
	memset(&p, 0, sizeof(p));
	p.family = A5_AF_INET6;
	p.len = 128;
	p.addr[15] = 1;
	if (prefixlist_add(l, &p) == 0)
		added++;

	if (getifaddrs(&ifa) != 0)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&p, 0, sizeof(p));
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)i->ifa_addr;
			p.family = A5_AF_INET;
			p.len = 32;
			memcpy(p.addr, &sin->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)i->ifa_addr;
			p.family = A5_AF_INET6;
			p.len = 128;
			memcpy(p.addr, &sin6->sin6_addr, 16);
		} else
			continue;
		if (prefixlist_add(l, &p) == 0)
			added++;
	}
	freeifaddrs(ifa);
	return added;
}
