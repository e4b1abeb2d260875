// Built with -fno-exceptions: failures are remembered, not thrown.
// Usage: test_noexcept http://127.0.0.1:PORT
#include <cstdio>
#include <cstring>
#include <string>

#include "sselink.hpp"

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                     \
        }                                                                                 \
    } while (0)

static int run(const std::string &base) {
    sselink::Config bad("not a url");
    CHECK(!bad.ok() && bad.error().code == SSELINK_RESULT_INVALID_CONFIG);
    sselink::Stream none(bad);
    CHECK(!none.ok() && none.error().code == SSELINK_RESULT_NULL_ARGUMENT);

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
    CHECK(events == 2);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        return 2;
    }
    int failure = run(argv[1]);
    std::printf("%s - without exceptions\n%d passed, %d failed\n", failure ? "FAIL" : "ok", !failure, failure);
    return failure;
}
