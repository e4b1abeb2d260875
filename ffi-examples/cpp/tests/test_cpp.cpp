// Tests of include/sselink.hpp against ffi-examples/c/tests/test_server.py on
// 127.0.0.1. Usage: test_cpp http://127.0.0.1:PORT
// Prints one line per test and a closing "N passed, M failed" line.
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "sselink.hpp"
#include "../../c/tests/check.h"
#include "watchdog.hpp"

using namespace std::chrono_literals;

static std::string base_url;

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
        std::mutex mutex;
        std::condition_variable changed;
        bool done = false;
        std::thread poller([&] {
            // A wait without a timeout: only the close can end it.
            while (stream.poll(-1ms)) {
            }
            std::lock_guard<std::mutex> lock(mutex);
            done = true;
            changed.notify_all();
        });
        if (i % 2) {
            std::this_thread::yield();
        }
        stream.close();
        {
            std::unique_lock<std::mutex> lock(mutex);
            if (!changed.wait_for(lock, 5s, [&] { return done; })) {
                test::hung("a poll(-1ms) after close from another thread", 5s);
            }
        }
        poller.join();
        CHECK(stream.finished());
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

// A host that does not resolve closes with the DNS kind (`.invalid` names
// never resolve: no network needed).
static int test_unresolved_host_is_a_dns_failure() {
    sselink::Config config("http://nothing.invalid/events");
    config.reconnect(false).retry_tls_errors(false);
    sselink::Stream stream(config);
    sselink_result error = SSELINK_RESULT_OK;
    for (const sselink::Item &item : stream) {
        if (auto *end = std::get_if<sselink::Closed>(&item)) {
            error = end->error;
        }
    }
    CHECK(error == SSELINK_RESULT_DNS);
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

// events() throws the error a stream closes on, as Rust's events() and Go's
// Events() report it; error() keeps it.
static std::string refused_url() {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &length);
    close(listener);  // nothing listens there now
    return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
}

static int test_events_throw_the_error_the_stream_closes_on() {
    sselink::Stream unauthorized(config_for("/unauthorized"));
    int events = 0;
    try {
        for (const sselink::Event &event : unauthorized.events()) {
            (void)event;
            events++;
        }
        CHECK(false);  // ended without an exception
    } catch (const sselink::Error &error) {
        CHECK(error.code() == SSELINK_RESULT_HTTP_STATUS && error.status() == 401);
        CHECK(std::strstr(error.what(), "401") != nullptr);
    }
    CHECK(events == 0 && !unauthorized.ok() && unauthorized.error().status == 401);

    sselink::Config config(refused_url());
    config.reconnect_delay(10ms, 50ms).max_attempts(1);
    sselink::Stream refused(config);
    try {
        for (const sselink::Event &event : refused.events()) {
            (void)event;
        }
        CHECK(false);
    } catch (const sselink::Error &error) {
        CHECK(error.code() == SSELINK_RESULT_ATTEMPTS_EXHAUSTED);
    }
    // A stream that ends without an error ends the loop quietly.
    sselink::Config ended = config_for("/events?n=2");
    ended.reconnect(false);
    sselink::Stream fine(ended);
    for (const sselink::Event &event : fine.events()) {
        (void)event;
    }
    CHECK(fine.ok() && fine.finished());
    return 0;
}

// A provider that throws, or returns a header that is not UTF-8, sends no
// request: the stream closes with SSELINK_RESULT_HEADER_PROVIDER.
static int test_provider_failures_close_the_stream() {
    using Headers = std::vector<std::pair<std::string, std::string>>;
    const std::pair<std::function<Headers()>, const char *> cases[] = {
        {[]() -> Headers { throw std::runtime_error("vault sealed"); }, "the provider threw: vault sealed"},
        {[] { return Headers{{"X-Token", "\xff"}}; }, "not UTF-8"},
    };
    for (const auto &[provider, reason] : cases) {
        sselink::Config config = config_for("/events?n=1");
        config.reconnect(false).header_provider(provider);
        sselink::Stream stream(config);
        try {
            for (const sselink::Event &event : stream.events()) {
                (void)event;
                CHECK(false);  // no request without the provider's headers
            }
            CHECK(false);
        } catch (const sselink::Error &error) {
            CHECK(error.code() == SSELINK_RESULT_HEADER_PROVIDER);
            if (std::strstr(error.what(), reason) == nullptr) {
                std::fprintf(stderr, "  %s\n", error.what());
                return 1;
            }
        }
    }
    return 0;
}

// A Stream destroyed in a log callback, on its own reader thread, does not
// wait five seconds for itself.
static std::mutex doomed_mutex;
static std::condition_variable doomed_cv;
static std::unique_ptr<sselink::Stream> doomed;
static bool destroyed = false;
static std::chrono::milliseconds destroy_took{-1};

static int test_destroying_a_stream_in_a_log_callback() {
    CHECK(sselink_log_set_callback(
              [](void *, uint32_t, sselink_str, sselink_str message) {
                  if (std::string_view(message.ptr, message.len).find("destroy-in-callback") == std::string_view::npos) {
                      return;
                  }
                  std::unique_ptr<sselink::Stream> stream;
                  {
                      std::lock_guard<std::mutex> lock(doomed_mutex);
                      stream = std::move(doomed);
                  }
                  if (!stream) {
                      return;
                  }
                  auto start = std::chrono::steady_clock::now();
                  bool exited = stream->close_and_wait(5000ms);  // cannot wait for itself: false at once
                  stream.reset();
                  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
                  std::lock_guard<std::mutex> lock(doomed_mutex);
                  destroy_took = exited ? std::chrono::milliseconds(-2) : took;
                  destroyed = true;
                  doomed_cv.notify_all();
              },
              nullptr, 4) == SSELINK_RESULT_OK);
    {
        // Held while connecting, so the callback finds the stream.
        std::lock_guard<std::mutex> lock(doomed_mutex);
        doomed = std::make_unique<sselink::Stream>(config_for("/silent?destroy-in-callback=1"));
    }
    bool done;
    {
        std::unique_lock<std::mutex> lock(doomed_mutex);
        done = doomed_cv.wait_for(lock, 10s, [] { return destroyed; });
    }
    CHECK(sselink_log_set_callback(nullptr, nullptr, 0) == SSELINK_RESULT_OK);
    CHECK(done);
    std::printf("  (~Stream in the callback: %lld ms)\n", static_cast<long long>(destroy_took.count()));
    CHECK(destroy_took >= 0ms);  // -2: close_and_wait said the reader had exited
    CHECK(destroy_took < 1000ms);
    return 0;
}

// close_and_wait with a negative timeout waits as long as it takes, as poll
// does: milliseconds::min() is no short wait.
static int test_negative_timeouts_wait_as_long_as_it_takes() {
    static std::mutex gate;
    static std::condition_variable changed;
    static bool entered = false, released = false;
    sselink::Config config = config_for("/silent");
    config.header_provider([] {
        std::unique_lock<std::mutex> lock(gate);
        entered = true;
        changed.notify_all();
        changed.wait_for(lock, 10s, [] { return released; });
        return std::vector<std::pair<std::string, std::string>>{};
    });
    sselink::Stream stream(config);
    {
        std::unique_lock<std::mutex> lock(gate);
        CHECK(changed.wait_for(lock, 10s, [] { return entered; }));
    }
    stream.close();
    // The reader stays in the provider for another 200 ms.
    std::thread releaser([] {
        std::this_thread::sleep_for(200ms);
        std::lock_guard<std::mutex> lock(gate);
        released = true;
        changed.notify_all();
    });
    bool exited = stream.close_and_wait(std::chrono::milliseconds::min());
    releaser.join();
    CHECK(exited);
    return 0;
}

// A refused URL says why, in the library's words.
static int test_a_refused_url_says_why() {
    try {
        sselink::Config config("http://");
        CHECK(false);
    } catch (const sselink::Error &error) {
        CHECK(error.code() == SSELINK_RESULT_INVALID_CONFIG);
        CHECK(std::strstr(error.what(), "empty host") != nullptr);
    }
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
        {"an unresolved host is a DNS failure", test_unresolved_host_is_a_dns_failure},
        {"a 4 MiB event", test_four_mib_event},
        {"reconnect with Last-Event-ID", test_reconnect_with_last_event_id},
        {"header provider", test_header_provider},
        {"log callback never sees credentials", test_log_callback_never_sees_credentials},
        {"events() throws the error the stream closes on", test_events_throw_the_error_the_stream_closes_on},
        {"provider failures close the stream", test_provider_failures_close_the_stream},
        {"destroying a stream in a log callback", test_destroying_a_stream_in_a_log_callback},
        {"negative timeouts wait as long as it takes", test_negative_timeouts_wait_as_long_as_it_takes},
        {"a refused URL says why", test_a_refused_url_says_why},
    };
    // Every wait is bounded: a test that hangs fails after two minutes (the
    // slowest, under valgrind, takes a few seconds).
    test::Watchdog watchdog(120s);
    int passed = 0, failed = 0;
    for (const auto &test : tests) {
        int failure = 1;
        watchdog.start(test.name);
        try {
            failure = test.run();
        } catch (const std::exception &error) {
            std::fprintf(stderr, "  unexpected exception: %s\n", error.what());
        }
        watchdog.finish();
        std::printf("%s - %s\n", failure ? "FAIL" : "ok", test.name);
        std::fflush(stdout);
        (failure ? failed : passed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
