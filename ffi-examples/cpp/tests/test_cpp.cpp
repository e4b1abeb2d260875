// Tests of include/sselink.hpp against ffi-examples/c/tests/test_server.py on
// 127.0.0.1. Usage: test_cpp http://127.0.0.1:PORT
// Prints one line per test and a closing "N passed, M failed" line.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "sselink.hpp"

using namespace std::chrono_literals;

static std::string base_url;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                     \
        }                                                                                 \
    } while (0)

static sselink::Config config_for(const std::string &path) {
    sselink::Config config(base_url + path);
    config.reconnect_delay(10ms, 50ms).jitter(0);
    return config;
}

static int test_connect_iterate_close() {
    sselink::Config config = config_for("/events?n=3");
    config.reconnect(false).insecure_redirects(false);
    sselink::Stream stream(config);
    std::vector<std::string> data;
    int opens = 0;
    bool closed = false;
    for (const sselink::Item &item : stream) {
        if (auto *event = std::get_if<sselink::Event>(&item)) {
            data.emplace_back(event->data);
            CHECK(event->type == "message");
            CHECK(!event->retry);
        } else if (auto *open = std::get_if<sselink::Open>(&item)) {
            opens += open->status == 200;
            CHECK(stream.header("X-Stream") == std::optional<std::string_view>("test-server"));
        } else if (auto *end = std::get_if<sselink::Closed>(&item)) {
            closed = end->reason == SSELINK_CLOSE_REASON_ENDED;
        }
    }
    CHECK((data == std::vector<std::string>{"event 0", "event 1", "event 2"}));
    CHECK(opens == 1 && closed && stream.finished());
    CHECK(stream.last_event_id() == "2");
    CHECK(stream.state() == SSELINK_STATE_CLOSED);
    CHECK(!stream.poll(0ms));
    return 0;
}

static int test_close_from_another_thread() {
    const int rounds = 1000;
    for (int i = 0; i < rounds; i++) {
        sselink::Stream stream(config_for("/silent"));
        std::atomic<bool> done{false};
        std::thread poller([&] {
            while (stream.poll(-1ms)) {
            }
            done = true;
        });
        if (i % 2) {
            std::this_thread::yield();
        }
        stream.close();
        poller.join();
        CHECK(done && stream.finished());
    }
    std::printf("  (%d rounds)\n", rounds);
    return 0;
}

static int test_moved_from_objects() {
    sselink::Config config = config_for("/events?n=2");
    config.reconnect(false);
    sselink::Config moved = std::move(config);
    CHECK(config.raw() == nullptr && moved.raw() != nullptr);  // NOLINT: testing the moved-from state
    bool threw = false;
    try {
        config.capacity(5);  // NOLINT
    } catch (const sselink::Error &error) {
        threw = error.code() == SSELINK_RESULT_NULL_ARGUMENT;
    }
    CHECK(threw);
    sselink::Stream first(moved);
    sselink::Stream second = std::move(first);
    CHECK(first.raw() == nullptr && first.finished());  // NOLINT
    first.close();                                      // harmless
    CHECK(!first.poll(0ms));                            // NOLINT
    CHECK(first.last_event_id().empty());               // NOLINT
    int events = 0;
    for (const sselink::Event &event : second.events()) {
        (void)event;
        events++;
    }
    CHECK(events == 2);
    sselink::Stream third(moved);
    third = std::move(second);  // the old third is closed and freed
    CHECK(third.finished());
    return 0;
}

static int test_errors_are_exceptions() {
    for (const char *url : {"not a url", "ftp://127.0.0.1/"}) {
        bool threw = false;
        try {
            sselink::Config config(url);
        } catch (const sselink::Error &error) {
            threw = error.code() == SSELINK_RESULT_INVALID_CONFIG;
        }
        CHECK(threw);
    }
    sselink::Config config("http://127.0.0.1:1/");
    try {
        config.header("Bad Name", "v");
        CHECK(false);
    } catch (const sselink::Error &error) {
        CHECK(error.code() == SSELINK_RESULT_INVALID_CONFIG);
        CHECK(std::strstr(error.what(), "not an HTTP token") != nullptr);
    }
    try {
        config.header("X-Token", "a\r\nInjected: 1");
        CHECK(false);
    } catch (const sselink::Error &error) {
        CHECK(std::strstr(error.what(), "CR, LF or NUL") != nullptr);
    }
    config.header("X-Ok", "fine");  // the configuration is still usable
    sselink::Stream stream(config);
    stream.close();
    // A failed response closes with its status.
    sselink::Config unauthorized = config_for("/unauthorized");
    sselink::Stream refused(unauthorized);
    int status = 0;
    for (const sselink::Item &item : refused) {
        if (auto *end = std::get_if<sselink::Closed>(&item)) {
            status = end->status;
            CHECK(end->error == SSELINK_RESULT_HTTP_STATUS);
            CHECK(refused.header("content-type") == std::optional<std::string_view>("application/json"));
        }
    }
    CHECK(status == 401);
    return 0;
}

static int test_four_mib_event() {
    sselink::Stream stream(config_for("/big"));
    for (const sselink::Event &event : stream.events()) {
        CHECK(event.data.size() == (4u << 20));
        sselink::Event::Owned copy = event.own();
        CHECK(copy.data.size() == (4u << 20) && copy.data.front() == 'x' && copy.data.back() == 'x');
        stream.close();
    }
    CHECK(stream.finished());
    return 0;
}

static int test_reconnect_with_last_event_id() {
    sselink::Stream stream(config_for("/resume"));
    std::vector<std::string> data;
    for (const sselink::Event &event : stream.events()) {
        data.emplace_back(event.data);
        if (data.size() == 2) {
            break;
        }
    }
    CHECK((data == std::vector<std::string>{"first", "last-event-id=5"}));
    CHECK(stream.close_and_wait(5000ms));
    return 0;
}

static int test_header_provider() {
    static std::atomic<int> calls{0};
    std::string prefix = "cpp-" + std::to_string(getpid());
    {
        sselink::Config config = config_for("/token");
        config.header_provider([prefix] {
            int n = ++calls;
            return std::vector<std::pair<std::string, std::string>>{
                {"Authorization", "Bearer " + prefix + "-" + std::to_string(n)}};
        });
        sselink::Stream stream(config);
        int seen = 0;
        for (const sselink::Event &event : stream.events()) {
            CHECK(event.data == "Bearer " + prefix + "-" + std::to_string(++seen));
            if (seen == 3) {
                break;
            }
        }
    }
    CHECK(calls >= 3);
    return 0;
}

static std::mutex log_mutex;
static std::string log_text;

static int test_log_callback_never_sees_credentials() {
    CHECK(sselink_log_set_callback(
              [](void *, uint32_t, sselink_str target, sselink_str message) {
                  std::lock_guard<std::mutex> lock(log_mutex);
                  log_text.append(target.ptr, target.len).append(" ").append(message.ptr, message.len).append("\n");
              },
              nullptr, 5) == SSELINK_RESULT_OK);
    {
        sselink::Config config(base_url + "/redirect?api_key=QUERYSECRET");
        config.reconnect(false).header("Authorization", "Bearer HEADERSECRET").method("POST").body("BODYSECRET");
        sselink::Stream stream(config);
        for (const sselink::Event &event : stream.events()) {
            (void)event;
        }
    }
    CHECK(sselink_log_set_callback(nullptr, nullptr, 0) == SSELINK_RESULT_OK);
    std::lock_guard<std::mutex> lock(log_mutex);
    for (const char *secret : {"QUERYSECRET", "HEADERSECRET", "BODYSECRET", "LOCATIONSECRET"}) {
        CHECK(log_text.find(secret) == std::string::npos);
    }
    CHECK(log_text.find("/redirect?api_key=***") != std::string::npos);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s http://127.0.0.1:PORT\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    struct {
        const char *name;
        int (*run)();
    } tests[] = {
        {"connect, iterate, close", test_connect_iterate_close},
        {"close from another thread while polling", test_close_from_another_thread},
        {"moved-from objects", test_moved_from_objects},
        {"errors are exceptions", test_errors_are_exceptions},
        {"a 4 MiB event", test_four_mib_event},
        {"reconnect with Last-Event-ID", test_reconnect_with_last_event_id},
        {"header provider", test_header_provider},
        {"log callback never sees credentials", test_log_callback_never_sees_credentials},
    };
    int passed = 0, failed = 0;
    for (const auto &test : tests) {
        int failure = 1;
        try {
            failure = test.run();
        } catch (const std::exception &error) {
            std::fprintf(stderr, "  unexpected exception: %s\n", error.what());
        }
        std::printf("%s - %s\n", failure ? "FAIL" : "ok", test.name);
        std::fflush(stdout);
        (failure ? failed : passed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
