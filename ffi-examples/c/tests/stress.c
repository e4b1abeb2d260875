/* Concurrency stress of the C interface: 8 threads pick random operations
 * on 32 shared stream slots until 1,000 streams have been made: connect,
 * poll, restart, post, close (from any thread, also while another polls),
 * and free (only once no thread uses the stream). Run plain, under
 * AddressSanitizer with UndefinedBehaviorSanitizer, and under valgrind by
 * run-tests.sh. Checks: no crash, no leak (the sanitizers), every connect
 * succeeds, no deadlock (the streams are made within the time limit, every
 * worker thread ends, and every reader thread within 5 s of its close; else
 * the run fails with a message instead of hanging, watchdog.h), no close
 * stuck (each sselink_stream_close call returns within a second; the
 * slowest is printed). The close bound is loose on purpose:
 * 8 threads on a shared 2-core machine are descheduled for tens of
 * milliseconds at times. That close interrupts a read, a backoff and a post
 * in flight at once is tested one by one in tests/stream.rs and
 * tests/post.rs.
 * Usage: stress http://127.0.0.1:PORT [STREAMS] [CLOSE_BOUND_MS] [TIME_LIMIT_S]
 * (the close bound defaults to 1,000 ms, valgrind, some 30 times slower, gets
 * more; the time limit for making the streams defaults to 120 s). */
#include "sselink.h"
#include "watchdog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { THREADS = 8, SLOTS = 32 };

struct slot {
    pthread_rwlock_t lock; /* read: using the stream; write: making or freeing it */
    sselink_stream *stream;
};

static struct slot slots[SLOTS];
static const char *base_url;
static atomic_int made;
static int target = 1000;
static atomic_int slow_closes, polls, posts, restarts, closes, failed_connects, out_of_time;
static atomic_long worst_close_ns;
static long close_bound_ns = 1000000000L;
static long time_limit_s = 120;
static long deadline_ns; /* the workers stop making streams at it */

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static sselink_stream *connect_one(unsigned *seed) {
    static const char *paths[] = {"/ticker?n=50", "/silent", "/events?n=20", "/resume", "/nocontent"};
    char url[256];
    snprintf(url, sizeof url, "%s%s", base_url, paths[rand_r(seed) % 5]);
    sselink_config *config = NULL;
    if (sselink_config_new(url, strlen(url), &config) != SSELINK_RESULT_OK) {
        return NULL;
    }
    char post_url[256];
    snprintf(post_url, sizeof post_url, "%s/flaky?key=stress-%u", base_url, rand_r(seed));
    sselink_config_post_url(config, post_url, strlen(post_url));
    sselink_config_post_delay(config, 1, 5);
    sselink_config_reconnect_delay(config, 1, 10);
    sselink_config_capacity(config, 16);
    sselink_stream *stream = NULL;
    sselink_result result = sselink_stream_connect(config, &stream);
    sselink_config_free(config);
    return result == SSELINK_RESULT_OK ? stream : NULL;
}

static void *worker(void *arg) {
    unsigned seed = (unsigned)(size_t)arg * 7919u + 1;
    while (atomic_load(&made) < target) {
        if (now_ns() > deadline_ns) {
            atomic_store(&out_of_time, 1);
            break;
        }
        struct slot *slot = &slots[rand_r(&seed) % SLOTS];
        int op = rand_r(&seed) % 10;
        if (op == 0) { /* make or free, under the write lock */
            pthread_rwlock_wrlock(&slot->lock);
            if (slot->stream == NULL) {
                slot->stream = connect_one(&seed);
                if (slot->stream) {
                    atomic_fetch_add(&made, 1);
                } else {
                    atomic_fetch_add(&failed_connects, 1);
                }
            } else {
                sselink_stream_free(slot->stream);
                slot->stream = NULL;
            }
            pthread_rwlock_unlock(&slot->lock);
            continue;
        }
        pthread_rwlock_rdlock(&slot->lock);
        sselink_stream *stream = slot->stream;
        if (stream != NULL) {
            if (op <= 4) {
                sselink_item item;
                sselink_stream_poll(stream, rand_r(&seed) % 3 == 0 ? 5 : 0, &item);
                atomic_fetch_add(&polls, 1);
            } else if (op == 5) {
                sselink_stream_restart(stream);
                atomic_fetch_add(&restarts, 1);
            } else if (op == 6) {
                sselink_post_response *response = NULL;
                if (sselink_stream_post(stream, (const uint8_t *)"{}", 2, 50, &response) == SSELINK_RESULT_OK) {
                    sselink_post_response_free(response);
                }
                atomic_fetch_add(&posts, 1);
            } else if (op == 7) {
                long start = now_ns();
                sselink_stream_close(stream);
                long took = now_ns() - start;
                long worst = atomic_load(&worst_close_ns);
                while (took > worst && !atomic_compare_exchange_weak(&worst_close_ns, &worst, took)) {
                }
                if (took > close_bound_ns) {
                    atomic_fetch_add(&slow_closes, 1);
                }
                atomic_fetch_add(&closes, 1);
            } else {
                sselink_stream_state(stream);
                sselink_stream_dropped(stream);
                char id[64];
                size_t len;
                sselink_stream_last_event_id(stream, id, sizeof id, &len);
            }
        }
        pthread_rwlock_unlock(&slot->lock);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s http://127.0.0.1:PORT [STREAMS] [CLOSE_BOUND_MS] [TIME_LIMIT_S]\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    if (argc > 2) {
        target = atoi(argv[2]);
    }
    if (argc > 3) {
        close_bound_ns = atol(argv[3]) * 1000000L;
    }
    if (argc > 4) {
        time_limit_s = atol(argv[4]);
    }
    /* Past the time limit the workers stop; a worker stuck in a call gets 30 s
     * more, each reader 5 s after its close (close_and_wait below). The alarm
     * bounds what is left: a free, a stuck lock. */
    watchdog_start("stress", (unsigned)time_limit_s + 30 + SLOTS * 5 + 60);
    deadline_ns = now_ns() + time_limit_s * 1000000000L;
    for (int i = 0; i < SLOTS; i++) {
        pthread_rwlock_init(&slots[i].lock, NULL);
    }
    static struct bounded_thread threads[THREADS];
    for (size_t i = 0; i < THREADS; i++) {
        if (bounded_start(&threads[i], worker, (void *)i) != 0) {
            printf("FAIL - stress: could not start worker thread %zu\n", i);
            return 1;
        }
    }
    for (size_t i = 0; i < THREADS; i++) {
        long left_ms = (deadline_ns - now_ns()) / 1000000L + 30000;
        bounded_join(&threads[i], left_ms > 0 ? left_ms : 0, "a worker thread (stuck in an sselink call)");
    }
    int stuck_readers = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].stream) {
            stuck_readers += sselink_stream_close_and_wait(slots[i].stream, 5000) != SSELINK_RESULT_OK;
            sselink_stream_free(slots[i].stream);
        }
        pthread_rwlock_destroy(&slots[i].lock);
    }
    watchdog_finish();
    int slow = atomic_load(&slow_closes), failed = atomic_load(&failed_connects), late = atomic_load(&out_of_time);
    printf("stress: %d streams by %d threads; %d polls, %d restarts, %d posts, %d closes; "
           "slowest close %.3f ms\n",
           atomic_load(&made), THREADS, atomic_load(&polls), atomic_load(&restarts), atomic_load(&posts),
           atomic_load(&closes), atomic_load(&worst_close_ns) / 1e6);
    if (slow) {
        printf("  %d closes took more than %ld ms\n", slow, close_bound_ns / 1000000L);
    }
    if (failed) {
        printf("  %d connects failed\n", failed);
    }
    if (late) {
        printf("  %d of %d streams made within the time limit of %ld s\n", atomic_load(&made), target, time_limit_s);
    }
    if (stuck_readers) {
        printf("  %d reader threads had not ended 5 s after their close\n", stuck_readers);
    }
    int failure = slow || failed || late || stuck_readers;
    printf("%s - stress\n%d passed, %d failed\n", failure ? "FAIL" : "ok", failure ? 0 : 1, failure ? 1 : 0);
    return failure ? 1 : 0;
}
