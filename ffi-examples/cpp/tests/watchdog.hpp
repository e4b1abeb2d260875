// A bound on every wait of a C++ test program: a test that has not
// finished in its time fails with a message naming it, and the program
// exits, instead of hanging on a wait that never ends (a range-for over a
// stream, a poll without a timeout, a join) when the behaviour it waits for
// breaks. Header-only, for test_cpp.cpp and test_noexcept.cpp.
#ifndef SSELINK_TEST_WATCHDOG_HPP
#define SSELINK_TEST_WATCHDOG_HPP

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace test {

// Says that `what` did not finish within `limit` and ends the program with
// failure: a thread stuck in a wait cannot be joined, and returning would
// free what it still uses.
[[noreturn]] inline void hung(const char *what, std::chrono::milliseconds limit) {
    std::printf("FAIL - %s: did not finish within %lld ms\n", what, static_cast<long long>(limit.count()));
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
}

// Gives each test `limit` from start() to finish(), then calls hung().
class Watchdog {
  public:
    explicit Watchdog(std::chrono::milliseconds limit) : limit_(limit), thread_([this] { watch(); }) {}
    Watchdog(const Watchdog &) = delete;
    Watchdog &operator=(const Watchdog &) = delete;
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }

    void start(const char *name) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            name_ = name;
            deadline_ = std::chrono::steady_clock::now() + limit_;
            running_ = true;
        }
        changed_.notify_all();
    }

    void finish() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            running_ = false;
        }
        changed_.notify_all();
    }

  private:
    void watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            if (!running_) {
                changed_.wait(lock);
                continue;
            }
            const auto deadline = deadline_;
            if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && running_ && deadline_ == deadline) {
                hung(name_, limit_);
            }
        }
    }

    const std::chrono::milliseconds limit_;
    std::mutex mutex_;
    std::condition_variable changed_;
    const char *name_ = "";
    std::chrono::steady_clock::time_point deadline_;
    bool running_ = false;
    bool stopping_ = false;
    std::thread thread_;  // last: it starts with every member above made
};

}  // namespace test

#endif
