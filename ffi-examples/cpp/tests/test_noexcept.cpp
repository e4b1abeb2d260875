// Built with -fno-exceptions: failures are remembered, not thrown.
// Usage: test_noexcept http://127.0.0.1:PORT
#include <cstdio>
#include <cstring>
#include <string>

#include "sselink.hpp"
#include "../../c/tests/check.h"
#include "watchdog.hpp"

static std::string base;

static int test_failures_are_remembered() {
    sselink::Config config(base + "/events?n=2");
    config.reconnect(false).capacity(0).header("X-Later", "ignored once failed");
    CHECK(!config.ok() && std::strstr(config.error().message.c_str(), "capacity") != nullptr);

    sselink::Config good(base + "/events?n=2");
    good.reconnect(false);
    CHECK(good.ok());
    sselink::Stream stream(good);
    CHECK(stream.ok());
    int events = 0;
    for (const sselink::Event &event : stream.events()) {
        events += event.data.substr(0, 6) == "event ";
    }
    CHECK(events == 2 && stream.ok());
    return 0;
}

// A refused URL says why, and a Stream from it does not connect.
static int test_a_refused_url_says_why() {
    sselink::Config bad("http://");
    CHECK(!bad.ok() && bad.error().code == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(std::strstr(bad.error().message.c_str(), "empty host") != nullptr);
    sselink::Stream none(bad);
    CHECK(!none.ok() && none.raw() == nullptr);
    return 0;
}

// A Config whose setter failed does not connect: the stream would go
// without the header that failed.
static int test_a_config_that_is_not_ok_does_not_connect() {
    sselink::Config unsent(base + "/events?n=2");
    unsent.header("Authorization", "Bearer a\r\nInjected: 1");
    CHECK(!unsent.ok());
    sselink::Stream refused(unsent);
    CHECK(!refused.ok() && refused.raw() == nullptr);
    CHECK(refused.error().code == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(std::strstr(refused.error().message.c_str(), "CR, LF or NUL") != nullptr);
    return 0;
}

// The error a stream closes on ends events() and stays in error().
static int test_the_closing_error_is_kept() {
    sselink::Stream unauthorized{sselink::Config(base + "/unauthorized")};
    int events = 0;
    for (const sselink::Event &event : unauthorized.events()) {
        (void)event;
        events++;
    }
    CHECK(events == 0 && !unauthorized.ok());
    CHECK(unauthorized.error().code == SSELINK_RESULT_HTTP_STATUS && unauthorized.error().status == 401);
    CHECK(std::strstr(unauthorized.error().message.c_str(), "401") != nullptr);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        return 2;
    }
    base = argv[1];
    struct {
        const char *name;
        int (*run)();
    } tests[] = {
        {"failures are remembered", test_failures_are_remembered},
        {"a refused URL says why", test_a_refused_url_says_why},
        {"a Config that is not ok() does not connect", test_a_config_that_is_not_ok_does_not_connect},
        {"the closing error is kept", test_the_closing_error_is_kept},
    };
    // Every wait is bounded: a test that hangs fails after two minutes.
    test::Watchdog watchdog(std::chrono::seconds(120));
    int passed = 0, failed = 0;
    for (const auto &test : tests) {
        watchdog.start(test.name);
        int failure = test.run();
        watchdog.finish();
        std::printf("%s - without exceptions: %s\n", failure ? "FAIL" : "ok", test.name);
        (failure ? failed : passed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
