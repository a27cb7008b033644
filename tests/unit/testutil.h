/* testutil.h - shared includes for the cmocka unit tests. */
#ifndef A5_TESTUTIL_H
#define A5_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
