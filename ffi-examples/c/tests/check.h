/* CHECK(cond): the one assertion of the C and C++ tests (test_ffi.c,
 * ../../cpp/tests/test_cpp.cpp and test_noexcept.cpp). In a test function
 * returning int, a false condition prints the file, line and condition to
 * stderr and returns 1 (the test failed); the caller goes on with the next
 * test. */
#ifndef SSELINK_TESTS_CHECK_H
#define SSELINK_TESTS_CHECK_H

#include <stdio.h>

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                   \
        }                                                                               \
    } while (0)

#endif
