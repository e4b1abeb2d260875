/* A bound on every wait of a C test program (test_ffi.c, stress.c), the C
 * counterpart of ../../cpp/tests/watchdog.hpp: a test that has not finished
 * in its time, or a thread that has not ended when it should have, fails
 * with a message naming the test, and the program exits with failure,
 * instead of hanging on a wait that never ends (a poll with timeout -1, a
 * join, a loop waiting for a condition) when the behaviour it waits for
 * breaks.
 *
 *   watchdog_start(name, seconds) ... watchdog_finish()   around each test
 *   bounded_start(&t, run, arg) ... bounded_join(&t, ms, what)   a thread
 *
 * The watchdog is alarm(2): its handler writes a message prepared by
 * watchdog_start and calls _exit, both async-signal-safe, so it fires
 * whatever the stuck thread holds. The program exits rather than returning
 * from the test: a thread stuck in a wait cannot be joined, and returning
 * would free what it still uses. Header-only; POSIX. */
#ifndef SSELINK_TESTS_WATCHDOG_H
#define SSELINK_TESTS_WATCHDOG_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The running test's name, and the line the alarm handler writes. */
static const char *watchdog_test = "(no test)";
static char watchdog_message[512];
static volatile sig_atomic_t watchdog_message_len;

static inline void watchdog_fired(int signal_number) {
    (void)signal_number;
    ssize_t written = write(STDOUT_FILENO, watchdog_message, (size_t)watchdog_message_len);
    (void)written;
    _exit(1);
}

/* Gives the test `name` `seconds` from now: then the program prints
 * "FAIL - name: did not finish within N s" and exits with status 1. */
static inline void watchdog_start(const char *name, unsigned seconds) {
    static int installed;
    if (!installed) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = watchdog_fired;
        sigemptyset(&action.sa_mask);
        sigaction(SIGALRM, &action, NULL);
        installed = 1;
    }
    fflush(stdout); /* what the test printed so far comes before the message */
    watchdog_test = name;
    int len = snprintf(watchdog_message, sizeof watchdog_message, "FAIL - %s: did not finish within %u s\n", name,
                       seconds);
    watchdog_message_len = len < 0 ? 0 : len >= (int)sizeof watchdog_message ? (int)sizeof watchdog_message - 1 : len;
    alarm(seconds);
}

/* The running test finished: the alarm is off. */
static inline void watchdog_finish(void) {
    alarm(0);
}

/* Says that `what`, in the running test, did not finish within `ms`, and
 * ends the program with failure. */
static inline void hung(const char *what, long ms) {
    printf("FAIL - %s: %s did not finish within %ld ms\n", watchdog_test, what, ms);
    fflush(stdout);
    fflush(stderr);
    _exit(1);
}

/* A thread whose end can be awaited with a bound (pthread_join has none). */
struct bounded_thread {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t ended_cond;
    int ended;
    void *(*run)(void *);
    void *arg;
};

static inline void *bounded_thread_main(void *arg) {
    struct bounded_thread *t = arg;
    t->run(t->arg);
    pthread_mutex_lock(&t->mutex);
    t->ended = 1;
    pthread_cond_broadcast(&t->ended_cond);
    pthread_mutex_unlock(&t->mutex);
    return NULL;
}

/* Starts run(arg) on a new thread; 0 on success, like pthread_create. */
static inline int bounded_start(struct bounded_thread *t, void *(*run)(void *), void *arg) {
    t->ended = 0;
    t->run = run;
    t->arg = arg;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->mutex, NULL);
    pthread_cond_init(&t->ended_cond, &attr);
    pthread_condattr_destroy(&attr);
    int error = pthread_create(&t->thread, NULL, bounded_thread_main, t);
    if (error != 0) {
        pthread_cond_destroy(&t->ended_cond);
        pthread_mutex_destroy(&t->mutex);
    }
    return error;
}

/* Waits up to `ms` for the thread to end, then joins it; if it has not
 * ended by then, hung(what, ms). */
static inline void bounded_join(struct bounded_thread *t, long ms, const char *what) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&t->mutex);
    while (!t->ended) {
        if (pthread_cond_timedwait(&t->ended_cond, &t->mutex, &until) != 0 && !t->ended) {
            pthread_mutex_unlock(&t->mutex);
            hung(what, ms);
        }
    }
    pthread_mutex_unlock(&t->mutex);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->ended_cond);
    pthread_mutex_destroy(&t->mutex);
}

#endif
