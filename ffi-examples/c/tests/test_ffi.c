/* Tests of the C interface against tests/test_server.py on 127.0.0.1.
 * Usage: test_ffi http://127.0.0.1:PORT
 * Prints one line per test and a closing "N passed, M failed" line. */
#define _POSIX_C_SOURCE 200809L
#include "sselink.h"
#include "check.h"
#include "watchdog.h"

#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *base_url;

typedef void (*tweak_fn)(sselink_config *);

static void fast_reconnect(sselink_config *config) {
    sselink_config_reconnect_delay(config, 10, 50);
}

static void no_reconnect(sselink_config *config) {
    sselink_config_reconnect(config, false);
}

/* Connects to base_url + path; NULL on failure. */
static sselink_stream *open_stream(const char *path, tweak_fn tweak) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    sselink_config *config = NULL;
    if (sselink_config_new(url, strlen(url), &config) != SSELINK_RESULT_OK) {
        return NULL;
    }
    fast_reconnect(config);
    if (tweak) {
        tweak(config);
    }
    sselink_stream *stream = NULL;
    sselink_result result = sselink_stream_connect(config, &stream);
    sselink_config_free(config);
    return result == SSELINK_RESULT_OK ? stream : NULL;
}

/* Polls until an event of `kind` (skipping others, at most 100). */
static sselink_result next_of_kind(sselink_stream *stream, sselink_item_kind kind, sselink_item *event) {
    for (int i = 0; i < 100; i++) {
        sselink_result result = sselink_stream_poll(stream, 10000, event);
        if (result != SSELINK_RESULT_OK || event->kind == kind) {
            return result;
        }
    }
    return SSELINK_RESULT_TIMEOUT;
}

/* The config's last message, in a buffer of the caller's. */
static const char *error_text(const sselink_config *config, char *buffer, size_t capacity) {
    size_t len = 0;
    if (sselink_config_error(config, buffer, capacity, &len) != SSELINK_RESULT_OK) {
        return "(sselink_config_error failed)";
    }
    return buffer;
}

/* Milliseconds on the monotonic clock. */
static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int str_is(sselink_str s, const char *text) {
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0 && s.ptr[s.len] == '\0';
}

static int test_connect_poll_close(void) {
    sselink_stream *stream = open_stream("/events?n=3", no_reconnect);
    CHECK(stream != NULL);
    sselink_item event;
    CHECK(sselink_stream_poll(stream, 10000, &event) == SSELINK_RESULT_OK);
    CHECK(event.kind == SSELINK_ITEM_KIND_CONNECTING && event.attempt == 0);
    CHECK(sselink_stream_poll(stream, 10000, &event) == SSELINK_RESULT_OK);
    CHECK(event.kind == SSELINK_ITEM_KIND_OPEN && event.http_status == 200);
    for (int i = 0; i < 3; i++) {
        char data[32], id[16];
        snprintf(data, sizeof data, "event %d", i);
        snprintf(id, sizeof id, "%d", i);
        CHECK(sselink_stream_poll(stream, 10000, &event) == SSELINK_RESULT_OK);
        CHECK(event.kind == SSELINK_ITEM_KIND_EVENT);
        CHECK(str_is(event.event_type, "message"));
        CHECK(str_is(event.data, data));
        CHECK(str_is(event.id, id));
        CHECK(event.retry_ms == -1);
    }
    CHECK(sselink_stream_poll(stream, 10000, &event) == SSELINK_RESULT_OK);
    CHECK(event.kind == SSELINK_ITEM_KIND_CLOSED);
    CHECK(event.close_reason == SSELINK_CLOSE_REASON_ENDED);
    CHECK(event.error == SSELINK_RESULT_OK);
    CHECK(sselink_stream_poll(stream, 0, &event) == SSELINK_RESULT_CLOSED);
    CHECK(sselink_stream_state(stream) == SSELINK_STATE_CLOSED);
    sselink_stream_close(stream);
    sselink_stream_free(stream);
    return 0;
}

struct poller {
    sselink_stream *stream;
    atomic_int polling;
    sselink_result last;
};

/* Polls without a timeout until the poll fails: only a close ends it. */
static void *poll_until_done(void *arg) {
    struct poller *p = arg;
    sselink_item event;
    atomic_store(&p->polling, 1);
    do {
        p->last = sselink_stream_poll(p->stream, -1, &event);
    } while (p->last == SSELINK_RESULT_OK);
    return NULL;
}

static int test_close_from_another_thread(void) {
    const char *env = getenv("SSELINK_CLOSE_RACE_ITERATIONS");
    int iterations = env ? atoi(env) : 1000;
    for (int i = 0; i < iterations; i++) {
        struct poller p = {.stream = open_stream("/silent", NULL), .polling = 0, .last = SSELINK_RESULT_OK};
        CHECK(p.stream != NULL);
        struct bounded_thread thread;
        CHECK(bounded_start(&thread, poll_until_done, &p) == 0);
        /* Let the poller start; on odd rounds close at once, on even ones after
         * it reached poll, so both orders are exercised. */
        while (i % 2 == 0 && !atomic_load(&p.polling)) {
            sched_yield();
        }
        sselink_stream_close(p.stream);
        bounded_join(&thread, 5000, "a poll(-1) that sselink_stream_close must end");
        CHECK(p.last == SSELINK_RESULT_CLOSED);
        sselink_stream_free(p.stream);
    }
    printf("  (%d rounds)\n", iterations);
    return 0;
}

static int test_null_arguments_and_double_close(void) {
    sselink_item event;
    sselink_stream_close(NULL);
    sselink_stream_free(NULL);
    sselink_config_free(NULL);
    CHECK(sselink_stream_poll(NULL, 0, &event) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_stream_restart(NULL) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_stream_state(NULL) == SSELINK_STATE_CLOSED);
    CHECK(sselink_stream_dropped(NULL) == 0);
    char text[8];
    size_t text_len = 0;
    CHECK(sselink_config_error(NULL, text, sizeof text, &text_len) == SSELINK_RESULT_NULL_ARGUMENT);

    sselink_config *config = (sselink_config *)0x1;
    CHECK(sselink_config_new(NULL, 5, &config) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(config == (sselink_config *)0x1); /* untouched on failure */
    CHECK(sselink_config_new("http://x/", 9, NULL) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_config_header(NULL, "a", 1, "b", 1) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_config_idle_timeout(NULL, 5) == SSELINK_RESULT_NULL_ARGUMENT);
    sselink_stream *stream = (sselink_stream *)0x1;
    CHECK(sselink_stream_connect(NULL, &stream) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(stream == (sselink_stream *)0x1);

    stream = open_stream("/silent", NULL);
    CHECK(stream != NULL);
    CHECK(sselink_stream_poll(stream, 0, NULL) == SSELINK_RESULT_NULL_ARGUMENT);
    size_t len = 0;
    CHECK(sselink_stream_last_event_id(stream, NULL, 0, NULL) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_stream_last_event_id(stream, NULL, 8, &len) == SSELINK_RESULT_NULL_ARGUMENT);
    sselink_stream_close(stream);
    sselink_stream_close(stream); /* a second close does nothing */
    CHECK(sselink_stream_poll(stream, 1000, &event) == SSELINK_RESULT_CLOSED);
    CHECK(sselink_stream_poll(stream, 0, &event) == SSELINK_RESULT_CLOSED);
    CHECK(sselink_stream_poll(stream, -1, &event) == SSELINK_RESULT_CLOSED);
    CHECK(sselink_stream_restart(stream) == SSELINK_RESULT_CLOSED); /* finished: says so */
    CHECK(sselink_stream_state(stream) == SSELINK_STATE_CLOSED);
    sselink_stream_free(stream);
    return 0;
}

static int test_invalid_url_and_header(void) {
    /* CR, LF and tab are refused, never silently removed. */
    const char *bad_urls[] = {"not a url", "ftp://127.0.0.1/", "http://127.0.0.1/a\nb", "http://127.0.0.1/a\rb",
                              "http://127.0.0.1/a\tb"};
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        sselink_config *config = (sselink_config *)0x1;
        CHECK(sselink_config_new(bad_urls[i], strlen(bad_urls[i]), &config) == SSELINK_RESULT_INVALID_CONFIG);
        CHECK(config == (sselink_config *)0x1);
    }
    char buffer[512];
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://127.0.0.1/", 17, &config) == SSELINK_RESULT_OK);
    CHECK(sselink_config_header(config, "X-Token", 7, "a\r\nInjected: 1", 15) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "CR, LF or NUL") != NULL);
    CHECK(sselink_config_header(config, "X-Token", 7, "a\0b", 3) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_header(config, "Bad Name", 8, "v", 1) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_header(config, "Content-Length", 14, "5", 1) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "frames the request") != NULL);
    /* Every failing setter says why in its own words. */
    CHECK(sselink_config_header(config, "X-Utf8", 6, "\xff", 1) == SSELINK_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "UTF-8") != NULL);
    CHECK(sselink_config_method(config, "GE T", 4) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "method") != NULL);
    CHECK(sselink_config_jitter(config, 2.0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "jitter") != NULL);
    CHECK(sselink_config_overflow(config, 7) == SSELINK_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "overflow") != NULL);
    CHECK(sselink_config_capacity(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "capacity") != NULL);
    CHECK(sselink_config_max_line_length(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_method(config, NULL, 3) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "NULL") != NULL);
    /* A call that succeeds leaves no stale message behind. */
    CHECK(sselink_config_method(config, "REPORT", 6) == SSELINK_RESULT_OK);
    size_t len = 99;
    CHECK(sselink_config_error(config, buffer, sizeof buffer, &len) == SSELINK_RESULT_OK && len == 0 && buffer[0] == '\0');
    /* The snprintf pattern: ask for the length, then copy. */
    CHECK(sselink_config_capacity(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_error(config, NULL, 0, &len) == SSELINK_RESULT_BUFFER_TOO_SMALL && len > 10);
    CHECK(sselink_config_error(config, buffer, len, &len) == SSELINK_RESULT_BUFFER_TOO_SMALL);
    CHECK(sselink_config_error(config, buffer, len + 1, &len) == SSELINK_RESULT_OK && strlen(buffer) == len);
    sselink_config_free(config);
    return 0;
}

/* Extreme values are refused by the setter that receives them, with a
 * message; the configuration stays usable. */
static int test_setter_extremes(void) {
    char buffer[512];
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://127.0.0.1/", 17, &config) == SSELINK_RESULT_OK);
    /* Capacities that cannot be allocated. */
    CHECK(sselink_config_capacity(config, SIZE_MAX) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "capacity") != NULL);
    CHECK(sselink_config_capacity(config, (size_t)4294967296ull) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_capacity(config, 65536) == SSELINK_RESULT_OK);
    CHECK(sselink_config_capacity(config, 65537) == SSELINK_RESULT_INVALID_CONFIG);
    /* Timeouts: zero connect timeout, and values no clock can hold. */
    CHECK(sselink_config_connect_timeout(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "more than zero") != NULL);
    CHECK(sselink_config_connect_timeout(config, UINT64_MAX) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "at most a year") != NULL);
    CHECK(sselink_config_idle_timeout(config, UINT64_MAX) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_idle_timeout(config, 0) == SSELINK_RESULT_OK); /* 0: no idle timer */
    CHECK(sselink_config_reconnect_delay(config, UINT64_MAX, 1) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_time_budget(config, UINT64_MAX) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_healthy_after(config, UINT64_MAX) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_jitter(config, (double)NAN) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_jitter(config, -0.5) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_max_queued_bytes(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_reader_stack_size(config, 100) == SSELINK_RESULT_INVALID_CONFIG);
    /* Stacks no system gives are refused here, not by the system at connect. */
    CHECK(sselink_config_reader_stack_size(config, SIZE_MAX) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "reader_stack_size") != NULL);
    CHECK(sselink_config_reader_stack_size(config, ((size_t)1 << 30) + 1) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_reader_stack_size(config, (size_t)1 << 46) == SSELINK_RESULT_INVALID_CONFIG);
    /* Certificates: garbage DER is refused like bad PEM, not ignored. */
    const uint8_t garbage[] = {0x30, 0x03, 0x01, 0x02, 0x03};
    CHECK(sselink_config_root_certificate(config, garbage, sizeof garbage) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "certificate") != NULL);
    const char *bad_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    CHECK(sselink_config_root_certificate(config, (const uint8_t *)bad_pem, strlen(bad_pem)) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_root_certificate(config, NULL, 0) == SSELINK_RESULT_INVALID_CONFIG);
    /* An id a header cannot carry. */
    CHECK(sselink_config_last_event_id(config, "a\x01b", 3) == SSELINK_RESULT_INVALID_CONFIG);
    /* After all that the configuration still connects. */
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    sselink_config_free(config);
    return 0;
}

/* The behaviour options of the reference clients, proxies, compression and
 * client certificates: each setter accepts a good value and refuses a bad
 * one, and a stream with all of them set works. */
/* A self-signed client certificate, its key, and a key of no certificate
 * here (openssl, P-256): the pair must match when set. */
static const char CLIENT_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBejCCAR+gAwIBAgIUAKCb1TEB/XdzxYuN0BV4OZ1uFN4wCgYIKoZIzj0EAwIw\n"
    "ETEPMA0GA1UEAwwGY2xpZW50MCAXDTI2MTIwMzE0NDczMloYDzIxMjYxMTA5MTQ0\n"
    "NzMyWjARMQ8wDQYDVQQDDAZjbGllbnQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
    "AASVYPwyX2AlOE6I4fWOzUc0dYzod7mLmEnDMXV8+vjtNB5bHquWT8OCklg8bYPH\n"
    "TgIyUH6jjBZfoMbn3MLNMfWqo1MwUTAdBgNVHQ4EFgQUoWVOWjiRl8Z0zd/jrVXq\n"
    "UcO+tqMwHwYDVR0jBBgwFoAUoWVOWjiRl8Z0zd/jrVXqUcO+tqMwDwYDVR0TAQH/\n"
    "BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEApDD4Rpe/mJUPqKG/3rjm/6NAp0Nr\n"
    "IHEbK2b70sEEjN4CIQDQS0+w4Y5S6JxjvPBAUJXMdtwNSqLxeASXNTr0yD3xcQ==\n"
    "-----END CERTIFICATE-----\n";
static const char CLIENT_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/+6fVF2ZBjcgEx6X\n"
    "VBreKBPnw9QCt5FzOm8cpicYQk+hRANCAASVYPwyX2AlOE6I4fWOzUc0dYzod7mL\n"
    "mEnDMXV8+vjtNB5bHquWT8OCklg8bYPHTgIyUH6jjBZfoMbn3MLNMfWq\n"
    "-----END PRIVATE KEY-----\n";
static const char OTHER_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgs12oIPXGo3l+l8UE\n"
    "ZErDBlshjDf+D/AR1GJdeavClYuhRANCAASuPK7/k3yeSMbMRtfbfUmcaPnJImTy\n"
    "EfNwotq7yLxFPW6GBiudKCTimixwSoDnpC6UoFJz5fnX8fIk+wLSXajx\n"
    "-----END PRIVATE KEY-----\n";

static int test_every_other_setter(void) {
    char url[512];
    snprintf(url, sizeof url, "%s/events?n=3", base_url);
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    no_reconnect(config);
    CHECK(sselink_config_jitter_shape(config, SSELINK_JITTER_SHAPE_SCALE) == SSELINK_RESULT_OK);
    CHECK(sselink_config_jitter_shape(config, 9) == SSELINK_RESULT_INVALID_ARGUMENT);
    CHECK(sselink_config_reset_on_open(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_server_retry(config, false) == SSELINK_RESULT_OK);
    CHECK(sselink_config_retry_all_statuses(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_any_content_type(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_resume_from_highest_id(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_compressed(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_retry_tls_errors(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_retry_tls_errors(NULL, true) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_config_post_timeout(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_post_timeout(config, 5000) == SSELINK_RESULT_OK);
    CHECK(sselink_config_post_url(config, "ftp://x/", 8) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_proxy(config, "gopher://127.0.0.1:1", 20) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_proxy(config, "socks5://127.0.0.1:1", 20) == SSELINK_RESULT_OK);
    CHECK(sselink_config_proxy(config, "http://127.0.0.1:1", 18) == SSELINK_RESULT_OK);
    CHECK(sselink_config_insecure_redirects(config, true) == SSELINK_RESULT_OK);
    CHECK(sselink_config_insecure_redirects(NULL, true) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_config_no_proxy(config, "*", 1) == SSELINK_RESULT_OK); /* so the proxy is off */
    const uint8_t garbage[] = {1, 2, 3};
    CHECK(sselink_config_client_certificate(config, garbage, 3, garbage, 3) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_client_certificate(config, NULL, 1, garbage, 3) == SSELINK_RESULT_NULL_ARGUMENT);
    /* A key that does not belong to the certificate is refused when set. */
    CHECK(sselink_config_client_certificate(config, (const uint8_t *)CLIENT_CERT, strlen(CLIENT_CERT),
                                            (const uint8_t *)OTHER_KEY, strlen(OTHER_KEY)) ==
          SSELINK_RESULT_INVALID_CONFIG);
    char why[512];
    CHECK(strstr(error_text(config, why, sizeof why), "does not belong") != NULL);
    CHECK(sselink_config_client_certificate(config, (const uint8_t *)CLIENT_CERT, strlen(CLIENT_CERT),
                                            (const uint8_t *)CLIENT_KEY, strlen(CLIENT_KEY)) == SSELINK_RESULT_OK);
    CHECK(sselink_config_max_queued_bytes(config, 1 << 20) == SSELINK_RESULT_OK);
    CHECK(sselink_config_reader_stack_size(config, 256 * 1024) == SSELINK_RESULT_OK);
    /* Only type "other": the stream's untyped events never arrive. */
    CHECK(sselink_config_filter_event_type(config, "other", 5) == SSELINK_RESULT_OK);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    CHECK(sselink_config_filter_event_type(config, "message", 7) == SSELINK_RESULT_OK);
    sselink_stream *both = NULL;
    CHECK(sselink_stream_connect(config, &both) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    int events = 0, events_both = 0;
    sselink_item item;
    while (sselink_stream_poll(stream, 10000, &item) == SSELINK_RESULT_OK && item.kind != SSELINK_ITEM_KIND_CLOSED) {
        events += item.kind == SSELINK_ITEM_KIND_EVENT;
    }
    while (sselink_stream_poll(both, 10000, &item) == SSELINK_RESULT_OK && item.kind != SSELINK_ITEM_KIND_CLOSED) {
        events_both += item.kind == SSELINK_ITEM_KIND_EVENT;
    }
    CHECK(events == 0 && events_both == 3);
    CHECK(sselink_stream_queued_bytes(stream) == 0 && sselink_stream_queued_bytes(NULL) == 0);
    size_t len = 0;
    char id[16];
    CHECK(sselink_stream_last_event_id(stream, id, sizeof id, &len) == SSELINK_RESULT_OK);
    CHECK(strcmp(id, "2") == 0); /* filtered events still move the id */
    sselink_stream_free(stream);
    sselink_stream_free(both);
    return 0;
}

/* Fields that do not apply to an item's kind are zero; an event without a
 * retry field says -1. */
static int test_fields_that_do_not_apply_are_zero(void) {
    sselink_stream *stream = open_stream("/events?n=1", no_reconnect);
    CHECK(stream != NULL);
    sselink_item item;
    int events = 0;
    sselink_result result;
    while ((result = sselink_stream_poll(stream, 10000, &item)) == SSELINK_RESULT_OK) {
        if (item.kind == SSELINK_ITEM_KIND_EVENT) {
            CHECK(item.retry_ms == -1);
            events++;
        } else {
            CHECK(item.retry_ms == 0);
            CHECK(item.kind == SSELINK_ITEM_KIND_CLOSED || item.delay_ms == 0);
            CHECK(item.id.len == 0 && item.id.ptr != NULL && item.id.ptr[0] == '\0');
        }
        if (item.kind == SSELINK_ITEM_KIND_CLOSED) {
            break;
        }
    }
    CHECK(result == SSELINK_RESULT_OK && events == 1);
    sselink_stream_free(stream);
    return 0;
}

/* Setters failing on one thread while another reads the message: the reader
 * gets a copy, never a view into a buffer the setter reallocates. */
static atomic_int messages_done;

static void *fail_setters(void *arg) {
    sselink_config *config = arg;
    char long_name[300];
    memset(long_name, 'n', sizeof long_name);
    long_name[sizeof long_name - 1] = ' ';
    for (int i = 0; i < 2000; i++) {
        if (i % 2) {
            sselink_config_header(config, long_name, sizeof long_name, "v", 1);
        } else {
            sselink_config_capacity(config, 0);
        }
    }
    atomic_store(&messages_done, 1);
    return NULL;
}

static int test_config_error_is_a_copy_across_threads(void) {
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://127.0.0.1/", 17, &config) == SSELINK_RESULT_OK);
    atomic_store(&messages_done, 0);
    struct bounded_thread setter;
    CHECK(bounded_start(&setter, fail_setters, config) == 0);
    char buffer[1024];
    int reads = 0;
    long long start = now_ms();
    while (!atomic_load(&messages_done)) {
        if (now_ms() - start > 30000) {
            hung("2000 failing setters on another thread", 30000);
        }
        size_t len = 0;
        sselink_result result = sselink_config_error(config, buffer, sizeof buffer, &len);
        CHECK(result == SSELINK_RESULT_OK);
        CHECK(strlen(buffer) == len);
        CHECK(len == 0 || strstr(buffer, "capacity") != NULL || strstr(buffer, "header name") != NULL);
        reads++;
    }
    bounded_join(&setter, 5000, "the thread of failing setters");
    sselink_config_free(config);
    printf("  (%d reads)\n", reads);
    return 0;
}

/* This process's virtual size, in bytes (VmSize in /proc/self/status). */
static unsigned long long virtual_size(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kib = 0;
    while (status != NULL && fgets(line, sizeof line, status) != NULL) {
        if (sscanf(line, "VmSize: %llu kB", &kib) == 1) {
            break;
        }
    }
    if (status != NULL) {
        fclose(status);
    }
    return kib * 1024;
}

/* A reader thread the system cannot start is a resource error, not a panic:
 * with the address space limited to 256 MiB beyond what the process maps,
 * the largest stack the setter accepts (1 GiB) cannot be mapped. */
static int test_refused_thread_is_a_resource_error(void) {
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://127.0.0.1:9/", 19, &config) == SSELINK_RESULT_OK);
    CHECK(sselink_config_reader_stack_size(config, (size_t)1 << 30) == SSELINK_RESULT_OK);
    unsigned long long mapped = virtual_size();
    CHECK(mapped > 0);
    struct rlimit before;
    CHECK(getrlimit(RLIMIT_AS, &before) == 0);
    struct rlimit tight = before;
    tight.rlim_cur = (rlim_t)(mapped + (256ull << 20));
    CHECK(before.rlim_max == RLIM_INFINITY || tight.rlim_cur <= before.rlim_max);
    CHECK(setrlimit(RLIMIT_AS, &tight) == 0);
    sselink_stream *stream = (sselink_stream *)0x1;
    sselink_result result = sselink_stream_connect(config, &stream);
    CHECK(setrlimit(RLIMIT_AS, &before) == 0);
    CHECK(result == SSELINK_RESULT_RESOURCE);
    CHECK(stream == (sselink_stream *)0x1);
    char buffer[512];
    CHECK(strstr(error_text(config, buffer, sizeof buffer), "refused a resource") != NULL);
    sselink_config_free(config);
    return 0;
}

/* close_and_wait returns once the reader thread has exited. */
static int test_close_and_wait(void) {
    CHECK(sselink_stream_close_and_wait(NULL, 0) == SSELINK_RESULT_NULL_ARGUMENT);
    for (int round = 0; round < 20; round++) {
        sselink_stream *stream = open_stream("/silent", NULL);
        CHECK(stream != NULL);
        sselink_item item;
        CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_OPEN, &item) == SSELINK_RESULT_OK);
        CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
        CHECK(sselink_stream_close_and_wait(stream, 0) == SSELINK_RESULT_OK); /* again: still OK */
        CHECK(sselink_stream_poll(stream, 0, &item) == SSELINK_RESULT_CLOSED);
        sselink_stream_free(stream);
    }
    return 0;
}

/* A header provider with a token that rotates on every connect. */
static atomic_int provider_calls;
static atomic_int provider_releases;

static void rotating_token(void *userdata, sselink_headers *headers) {
    int n = atomic_fetch_add(&provider_calls, 1) + 1;
    char value[64];
    int len = snprintf(value, sizeof value, "Bearer %s-%d", (const char *)userdata, n);
    sselink_headers_add(headers, "Authorization", 13, value, (size_t)len);
}

static void release_token(void *userdata) {
    (void)userdata;
    atomic_fetch_add(&provider_releases, 1);
}

static int test_header_provider_rotates_tokens(void) {
    atomic_store(&provider_calls, 0);
    atomic_store(&provider_releases, 0);
    /* The server refuses any token it has seen: unique per process. */
    static char prefix[32];
    snprintf(prefix, sizeof prefix, "rotating-%ld", (long)getpid());
    char url[512];
    snprintf(url, sizeof url, "%s/token", base_url);
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    fast_reconnect(config);
    CHECK(sselink_config_header(config, "Authorization", 13, "Bearer stale", 12) == SSELINK_RESULT_OK);
    CHECK(sselink_config_header_provider(config, rotating_token, prefix, release_token) == SSELINK_RESULT_OK);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    CHECK(atomic_load(&provider_releases) == 0); /* the stream still uses it */
    for (int n = 1; n <= 3; n++) {
        sselink_item item;
        CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &item) == SSELINK_RESULT_OK);
        char expected[64];
        snprintf(expected, sizeof expected, "Bearer %s-%d", prefix, n);
        CHECK(str_is(item.data, expected));
    }
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    CHECK(atomic_load(&provider_releases) == 1);
    CHECK(sselink_headers_add(NULL, "a", 1, "b", 1) == SSELINK_RESULT_NULL_ARGUMENT);
    return 0;
}

/* The write path: a 429 is retried, the 200 echoes the body. */
static int test_post_is_retried_and_answers(void) {
    char url[512];
    snprintf(url, sizeof url, "%s/silent", base_url);
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    char post_url[512];
    snprintf(post_url, sizeof post_url, "%s/flaky?key=%ld", base_url, (long)getpid());
    CHECK(sselink_config_post_url(config, post_url, strlen(post_url)) == SSELINK_RESULT_OK);
    CHECK(sselink_config_post_delay(config, 10, 50) == SSELINK_RESULT_OK);
    CHECK(sselink_config_post_attempts(config, 0) == SSELINK_RESULT_INVALID_CONFIG);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    const char *body = "{\"result\":42}";
    sselink_post_response *response = NULL;
    CHECK(sselink_stream_post(NULL, NULL, 0, -1, &response) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(sselink_stream_post(stream, (const uint8_t *)body, strlen(body), 10000, &response) == SSELINK_RESULT_OK);
    CHECK(sselink_post_response_status(response) == 200);
    CHECK(sselink_post_response_attempts(response) == 2);
    CHECK(str_is(sselink_post_response_body(response), body));
    sselink_str value;
    CHECK(sselink_post_response_header(response, "Content-Type", 12, &value) == SSELINK_RESULT_OK);
    CHECK(value.len == 16 && memcmp(value.ptr, "application/json", 16) == 0);
    CHECK(sselink_post_response_header(response, "X-None", 6, &value) == SSELINK_RESULT_INVALID_ARGUMENT);
    sselink_post_response_free(response);
    sselink_post_response_free(NULL);
    sselink_stream_close(stream);
    response = (sselink_post_response *)0x1;
    CHECK(sselink_stream_post(stream, (const uint8_t *)body, strlen(body), 1000, &response) == SSELINK_RESULT_STREAM_CLOSED);
    CHECK(response == (sselink_post_response *)0x1);
    sselink_stream_free(stream);
    return 0;
}

/* A stream whose posts go to base_url + post_path, retried quickly. */
static sselink_stream *poster(const char *post_path, uint32_t attempts) {
    char url[512], post_url[512];
    snprintf(url, sizeof url, "%s/silent", base_url);
    snprintf(post_url, sizeof post_url, "%s%s", base_url, post_path);
    sselink_config *config = NULL;
    if (sselink_config_new(url, strlen(url), &config) != SSELINK_RESULT_OK) {
        return NULL;
    }
    sselink_stream *stream = NULL;
    if (sselink_config_post_url(config, post_url, strlen(post_url)) == SSELINK_RESULT_OK &&
        sselink_config_post_delay(config, 10, 10) == SSELINK_RESULT_OK &&
        sselink_config_post_attempts(config, attempts) == SSELINK_RESULT_OK) {
        sselink_stream_connect(config, &stream);
    }
    sselink_config_free(config);
    return stream;
}

/* A post that gets no response says why, with the last HTTP status: a 503
 * whose Retry-After lies beyond the deadline, a body cut off. */
static int test_post_failures_say_why(void) {
    sselink_stream *stream = poster("/busy", 10);
    CHECK(stream != NULL);
    const uint8_t body[] = "{}";
    sselink_post_response *response = NULL;
    sselink_post_error *error = NULL;
    CHECK(sselink_stream_post_with_error(stream, body, 2, 1500, &response, &error) == SSELINK_RESULT_DEADLINE);
    CHECK(response == NULL && error != NULL);
    CHECK(sselink_post_error_status(error) == 503);
    sselink_str message = sselink_post_error_message(error);
    CHECK(message.ptr[message.len] == '\0');
    CHECK(strstr(message.ptr, "HTTP 503") != NULL);
    CHECK(strstr(message.ptr, "Retry-After") != NULL && strstr(message.ptr, "beyond the deadline") != NULL);
    sselink_post_error_free(error);
    /* Without an error to fill, the same post gives the code alone. */
    CHECK(sselink_stream_post_with_error(stream, body, 2, 1500, &response, NULL) == SSELINK_RESULT_DEADLINE);
    CHECK(sselink_stream_post(stream, body, 2, 1500, &response) == SSELINK_RESULT_DEADLINE);
    sselink_stream_free(stream);

    stream = poster("/cut", 10);
    CHECK(stream != NULL);
    error = NULL;
    CHECK(sselink_stream_post_with_error(stream, body, 2, 10000, &response, &error) == SSELINK_RESULT_INCOMPLETE_BODY);
    CHECK(response == NULL && error != NULL);
    CHECK(sselink_post_error_status(error) == 200);
    CHECK(strstr(sselink_post_error_message(error).ptr, "cut off after 10 of 100 bytes") != NULL);
    sselink_post_error_free(error);
    sselink_post_error_free(NULL);
    CHECK(sselink_post_error_status(NULL) == 0 && sselink_post_error_message(NULL).len == 0);
    /* Argument errors leave both out-parameters alone. */
    error = (sselink_post_error *)0x1;
    CHECK(sselink_stream_post_with_error(stream, body, 2, 1000, NULL, &error) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(error == (sselink_post_error *)0x1);
    sselink_stream_free(stream);
    return 0;
}

/* A host name that does not resolve is a DNS failure, for the stream and for
 * a post (`.invalid` names never resolve: no network needed). */
static int test_unresolved_host_is_a_dns_failure(void) {
    const char *url = "http://nothing.invalid/events";
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    no_reconnect(config);
    const char *post_url = "http://nothing.invalid/post";
    CHECK(sselink_config_post_url(config, post_url, strlen(post_url)) == SSELINK_RESULT_OK);
    CHECK(sselink_config_post_attempts(config, 1) == SSELINK_RESULT_OK);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    sselink_item item;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_CLOSED, &item) == SSELINK_RESULT_OK);
    CHECK(item.close_reason == SSELINK_CLOSE_REASON_ERROR);
    CHECK(item.error == SSELINK_RESULT_DNS);
    CHECK(strstr(item.message.ptr, "did not resolve") != NULL);
    sselink_post_response *response = NULL;
    sselink_post_error *error = NULL;
    CHECK(sselink_stream_post_with_error(stream, (const uint8_t *)"{}", 2, 10000, &response, &error) ==
          SSELINK_RESULT_ATTEMPTS_EXHAUSTED);
    CHECK(strstr(sselink_post_error_message(error).ptr, "did not resolve") != NULL);
    sselink_post_error_free(error);
    sselink_stream_free(stream);
    return 0;
}

/* Response headers reach C with OPEN; a failed response's headers and body
 * with the CLOSED item. */
static int test_response_headers_and_failed_bodies(void) {
    sselink_stream *stream = open_stream("/events?n=1", no_reconnect);
    CHECK(stream != NULL);
    sselink_item item;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_OPEN, &item) == SSELINK_RESULT_OK);
    sselink_str value;
    CHECK(sselink_stream_item_header_value(stream, "x-stream", 8, &value) == SSELINK_RESULT_OK);
    CHECK(str_is(value, "test-server"));
    size_t count = sselink_stream_item_header_count(stream);
    CHECK(count >= 3);
    int found = 0;
    for (size_t i = 0; i < count; i++) {
        sselink_str name;
        CHECK(sselink_stream_item_header(stream, i, &name, &value) == SSELINK_RESULT_OK);
        found += str_is(name, "content-type") && str_is(value, "text/event-stream");
    }
    CHECK(found == 1);
    CHECK(sselink_stream_item_header(stream, count, &value, &value) == SSELINK_RESULT_INVALID_ARGUMENT);
    CHECK(sselink_stream_item_body(stream).len == 0);
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &item) == SSELINK_RESULT_OK);
    CHECK(sselink_stream_item_header_count(stream) == 0);
    sselink_stream_free(stream);

    stream = open_stream("/unauthorized", NULL);
    CHECK(stream != NULL);
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_CLOSED, &item) == SSELINK_RESULT_OK);
    CHECK(item.http_status == 401);
    CHECK(str_is(sselink_stream_item_body(stream), "{\"error\":\"bad token\"}"));
    CHECK(sselink_stream_item_header_value(stream, "Content-Type", 12, &value) == SSELINK_RESULT_OK);
    CHECK(str_is(value, "application/json"));
    sselink_stream_free(stream);
    CHECK(sselink_stream_item_header_count(NULL) == 0);
    return 0;
}

/* One thread waits on ten streams with poll(2) on their descriptors. */
static int test_one_thread_polls_ten_streams(void) {
    enum { STREAMS = 10, EACH = 5 };
    sselink_stream *streams[STREAMS];
    struct pollfd fds[STREAMS];
    int events[STREAMS] = {0};
    int open = STREAMS;
    for (int i = 0; i < STREAMS; i++) {
        streams[i] = open_stream("/ticker?n=5", no_reconnect);
        CHECK(streams[i] != NULL);
        int fd = -1;
        CHECK(sselink_stream_fd(streams[i], &fd) == SSELINK_RESULT_OK && fd >= 0);
        int again = -1;
        CHECK(sselink_stream_fd(streams[i], &again) == SSELINK_RESULT_OK && again == fd);
        fds[i].fd = fd;
        fds[i].events = POLLIN;
    }
    CHECK(sselink_stream_fd(NULL, &fds[0].fd) == SSELINK_RESULT_NULL_ARGUMENT);
    int rounds = 0;
    while (open > 0) {
        CHECK(++rounds < 10000);
        int ready = poll(fds, STREAMS, 10000);
        CHECK(ready > 0); /* never a 10 s silence */
        for (int i = 0; i < STREAMS; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & POLLIN)) {
                continue;
            }
            sselink_item item;
            sselink_result result;
            while ((result = sselink_stream_poll(streams[i], 0, &item)) == SSELINK_RESULT_OK) {
                if (item.kind == SSELINK_ITEM_KIND_EVENT) {
                    events[i]++;
                } else if (item.kind == SSELINK_ITEM_KIND_CLOSED) {
                    result = SSELINK_RESULT_CLOSED;
                    break;
                }
            }
            if (result == SSELINK_RESULT_CLOSED) {
                fds[i].fd = -1; /* poll ignores negative descriptors */
                open--;
            } else {
                CHECK(result == SSELINK_RESULT_TIMEOUT);
            }
        }
    }
    for (int i = 0; i < STREAMS; i++) {
        CHECK(events[i] == EACH);
        sselink_stream_free(streams[i]);
    }
    printf("  (%d wakeups for %d events)\n", rounds, STREAMS * EACH);
    return 0;
}

static int test_data_with_nul(void) {
    sselink_stream *stream = open_stream("/nul", NULL);
    CHECK(stream != NULL);
    sselink_item event;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &event) == SSELINK_RESULT_OK);
    CHECK(event.data.len == 3);
    CHECK(memcmp(event.data.ptr, "a\0b", 3) == 0);
    CHECK(event.data.ptr[3] == '\0');
    sselink_stream_close(stream);
    sselink_stream_free(stream);
    return 0;
}

static int test_four_mib_event(void) {
    sselink_stream *stream = open_stream("/big", NULL);
    CHECK(stream != NULL);
    sselink_item event;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &event) == SSELINK_RESULT_OK);
    CHECK(event.data.len == (size_t)4 << 20);
    for (size_t i = 0; i < event.data.len; i += 4096) {
        CHECK(event.data.ptr[i] == 'x');
    }
    CHECK(event.data.ptr[event.data.len - 1] == 'x' && event.data.ptr[event.data.len] == '\0');
    sselink_stream_close(stream);
    sselink_stream_free(stream);
    return 0;
}

static int test_reconnect_with_last_event_id(void) {
    sselink_stream *stream = open_stream("/resume", NULL);
    CHECK(stream != NULL);
    sselink_item event;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &event) == SSELINK_RESULT_OK);
    CHECK(str_is(event.data, "first") && str_is(event.id, "5"));
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_RETRYING, &event) == SSELINK_RESULT_OK);
    CHECK(event.error == SSELINK_RESULT_END_OF_STREAM && event.attempt == 1);
    CHECK(event.delay_ms >= 10 && event.delay_ms <= 15); /* 10 ms plus up to 50% jitter */
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &event) == SSELINK_RESULT_OK);
    CHECK(str_is(event.data, "last-event-id=5"));
    CHECK(str_is(event.id, "5"));
    char id[8];
    size_t len = 0;
    CHECK(sselink_stream_last_event_id(stream, id, sizeof id, &len) == SSELINK_RESULT_OK);
    CHECK(len == 1 && strcmp(id, "5") == 0);
    CHECK(sselink_stream_last_event_id(stream, id, 1, &len) == SSELINK_RESULT_BUFFER_TOO_SMALL && len == 1);
    sselink_stream_close(stream);
    sselink_stream_free(stream);
    return 0;
}

static int test_no_content_closes(void) {
    sselink_stream *stream = open_stream("/nocontent", NULL);
    CHECK(stream != NULL);
    sselink_item event;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_CLOSED, &event) == SSELINK_RESULT_OK);
    CHECK(event.close_reason == SSELINK_CLOSE_REASON_NO_CONTENT);
    CHECK(strstr(event.message.ptr, "204") != NULL);
    CHECK(sselink_stream_poll(stream, 1000, &event) == SSELINK_RESULT_CLOSED);
    sselink_stream_free(stream); /* free without close closes too */
    return 0;
}

static int test_permanent_error_closes(void) {
    sselink_stream *stream = open_stream("/unauthorized", NULL);
    CHECK(stream != NULL);
    sselink_item event;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_CLOSED, &event) == SSELINK_RESULT_OK);
    CHECK(event.close_reason == SSELINK_CLOSE_REASON_ERROR);
    CHECK(event.error == SSELINK_RESULT_HTTP_STATUS);
    CHECK(event.http_status == 401);
    CHECK(strstr(event.message.ptr, "401") != NULL && strstr(event.message.ptr, "bad token") != NULL);
    CHECK(strcmp(sselink_result_message(event.error), "the server answered with a failing HTTP status") == 0);
    sselink_stream_close(stream);
    sselink_stream_free(stream);
    return 0;
}

/* The log callback: everything it receives goes into `log_text`, under
 * `log_mutex`. A call on the test's main thread is a violation: the callback
 * runs on sselink's threads only, never inside a call the program made. */
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 20];
static size_t log_used;
static pthread_t main_thread;
static atomic_int log_on_main_thread;
static atomic_int log_records;
static atomic_int log_reentered;
static atomic_uint log_level_now;
static atomic_int log_unterminated;

static void capture_log(void *userdata, uint32_t level, sselink_str target, sselink_str message) {
    (void)userdata;
    if (pthread_equal(pthread_self(), main_thread)) {
        atomic_fetch_add(&log_on_main_thread, 1); /* taking log_mutex here would deadlock */
        return;
    }
    if (level < 1 || level > 5 || target.ptr[target.len] != '\0' || message.ptr[message.len] != '\0') {
        atomic_fetch_add(&log_unterminated, 1);
        return;
    }
    atomic_fetch_add(&log_records, 1);
    pthread_mutex_lock(&log_mutex);
    int n = snprintf(log_text + log_used, sizeof log_text - log_used, "%u %.*s %.*s\n", level,
                     (int)target.len, target.ptr, (int)message.len, message.ptr);
    if (n > 0 && log_used + (size_t)n < sizeof log_text) {
        log_used += (size_t)n;
    }
    pthread_mutex_unlock(&log_mutex);
    /* Replacing the callback from inside it must not hang the reader. */
    if (atomic_exchange(&log_reentered, 1) == 0) {
        sselink_log_set_callback(capture_log, NULL, atomic_load(&log_level_now));
    }
}

static int test_log_callback_never_sees_credentials(void) {
    CHECK(strlen(sselink_version()) > 0);
    CHECK(strcmp(sselink_result_message(12345), "unknown result code") == 0);
    CHECK(sselink_log_set_callback(capture_log, NULL, 9) == SSELINK_RESULT_INVALID_ARGUMENT);
    main_thread = pthread_self();
    const char *secrets[] = {"QUERYSECRET", "USERSECRET", "HEADERSECRET", "COOKIESECRET",
                             "CUSTOMSECRET", "BODYSECRET", "LOCATIONSECRET", "PROVIDERSECRET"};
    /* userinfo, a query (after a comma and brackets, which do not end a
     * URL), a redirect whose Location has a query, a body. */
    char url[512];
    snprintf(url, sizeof url, "http://user:USERSECRET@%s/redirect?fields=a,b&a[0]=1&api_key=QUERYSECRET",
             base_url + strlen("http://"));
    for (unsigned level = 1; level <= 5; level++) {
        atomic_store(&log_level_now, level);
        atomic_store(&log_reentered, 0);
        pthread_mutex_lock(&log_mutex);
        log_used = 0;
        log_text[0] = '\0';
        pthread_mutex_unlock(&log_mutex);
        CHECK(sselink_log_set_callback(capture_log, NULL, level) == SSELINK_RESULT_OK);
        sselink_config *config = NULL;
        CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
        no_reconnect(config);
        CHECK(sselink_config_header(config, "Authorization", 13, "Bearer HEADERSECRET", 19) == SSELINK_RESULT_OK);
        CHECK(sselink_config_header(config, "Cookie", 6, "session=COOKIESECRET", 20) == SSELINK_RESULT_OK);
        CHECK(sselink_config_sensitive_header(config, "X-Api-Key", 9, "CUSTOMSECRET", 12) == SSELINK_RESULT_OK);
        CHECK(sselink_config_method(config, "POST", 4) == SSELINK_RESULT_OK);
        CHECK(sselink_config_body(config, (const uint8_t *)"BODYSECRET", 10) == SSELINK_RESULT_OK);
        sselink_stream *stream = NULL;
        CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
        sselink_config_free(config);
        sselink_item item;
        CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_EVENT, &item) == SSELINK_RESULT_OK);
        /* A lock the callback also takes, held around close: no deadlock,
         * because the callback never runs inside sselink_stream_close. */
        pthread_mutex_lock(&log_mutex);
        sselink_stream_close(stream);
        sselink_stream_restart(stream);
        pthread_mutex_unlock(&log_mutex);
        CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
        sselink_stream_free(stream);
        pthread_mutex_lock(&log_mutex);
        for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
            if (strstr(log_text, secrets[i]) != NULL) {
                fprintf(stderr, "  level %u logged %s:\n%s", level, secrets[i], log_text);
                pthread_mutex_unlock(&log_mutex);
                return 1;
            }
        }
        /* ureq masks userinfo but for its first letter: none of it shows. */
        if (strstr(log_text, "*****:") != NULL || strstr(log_text, "*****@") != NULL) {
            fprintf(stderr, "  level %u logged masked userinfo:\n%s", level, log_text);
            pthread_mutex_unlock(&log_mutex);
            return 1;
        }
        /* Not vacuous: at debug the connect is there, with the query's names. */
        int connect_logged = strstr(log_text, "POST http://127.0.0.1:") != NULL &&
                             strstr(log_text, "/redirect?fields=***&a[0]=***&api_key=***") != NULL;
        pthread_mutex_unlock(&log_mutex);
        CHECK(level < 4 || connect_logged);
    }
    CHECK(atomic_load(&log_on_main_thread) == 0);
    CHECK(atomic_load(&log_unterminated) == 0);
    CHECK(atomic_load(&log_records) > 0);
    CHECK(sselink_log_set_callback(NULL, NULL, 0) == SSELINK_RESULT_OK);
    return 0;
}

/* Waits up to `ms` on `cond` for `*flag` to become nonzero; `mutex` held. */
static int wait_flag(pthread_mutex_t *mutex, pthread_cond_t *cond, const int *flag, int ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    while (!*flag) {
        if (pthread_cond_timedwait(cond, mutex, &until) != 0) {
            return *flag;
        }
    }
    return 1;
}

/* An sselink_str keeps its promise: never NULL, NUL after len bytes. */
static int terminated(sselink_str s) {
    return s.ptr != NULL && s.ptr[s.len] == '\0';
}

/* Before any item, and after polls that returned none, the item's strings
 * are empty strings: never NULL, never an absurd length. */
static int test_item_strings_before_any_item(void) {
    sselink_stream *stream = open_stream("/silent", NULL);
    CHECK(stream != NULL);
    sselink_str body = sselink_stream_item_body(stream);
    CHECK(body.len == 0 && terminated(body));
    CHECK(sselink_stream_item_header_count(stream) == 0);
    CHECK(sselink_stream_item_cause(stream) == SSELINK_RESULT_OK);
    sselink_stream_close(stream);
    sselink_item item;
    CHECK(sselink_stream_poll(stream, 0, &item) == SSELINK_RESULT_CLOSED);
    body = sselink_stream_item_body(stream);
    CHECK(body.len == 0 && terminated(body));
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    body = sselink_stream_item_body(NULL);
    CHECK(body.len == 0 && terminated(body));
    return 0;
}

/* Every function that hands out an sselink_str: item fields, item headers,
 * a failed response's body, a post response's body and headers (the log
 * callback's strings are checked by capture_log). */
static int test_every_sselink_str_is_nul_terminated(void) {
    sselink_stream *stream = open_stream("/events?n=2", no_reconnect);
    CHECK(stream != NULL);
    sselink_item item;
    int kinds = 0;
    while (sselink_stream_poll(stream, 10000, &item) == SSELINK_RESULT_OK) {
        kinds |= 1 << item.kind;
        CHECK(terminated(item.event_type) && terminated(item.data) && terminated(item.id));
        CHECK(terminated(item.message) && terminated(sselink_stream_item_body(stream)));
        size_t count = sselink_stream_item_header_count(stream);
        for (size_t i = 0; i < count; i++) {
            sselink_str name, value;
            CHECK(sselink_stream_item_header(stream, i, &name, &value) == SSELINK_RESULT_OK);
            CHECK(terminated(name) && terminated(value));
        }
        if (item.kind == SSELINK_ITEM_KIND_OPEN) {
            sselink_str value;
            CHECK(sselink_stream_item_header_value(stream, "Content-Type", 12, &value) == SSELINK_RESULT_OK);
            CHECK(str_is(value, "text/event-stream"));
        }
        if (item.kind == SSELINK_ITEM_KIND_CLOSED) {
            break;
        }
    }
    CHECK(kinds == (1 << SSELINK_ITEM_KIND_CONNECTING | 1 << SSELINK_ITEM_KIND_OPEN |
                    1 << SSELINK_ITEM_KIND_EVENT | 1 << SSELINK_ITEM_KIND_CLOSED));
    sselink_stream_free(stream);

    stream = open_stream("/unauthorized", no_reconnect);
    CHECK(stream != NULL);
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_CLOSED, &item) == SSELINK_RESULT_OK);
    CHECK(terminated(item.message) && item.message.len > 0);
    CHECK(str_is(sselink_stream_item_body(stream), "{\"error\":\"bad token\"}"));
    sselink_str value;
    CHECK(sselink_stream_item_header_value(stream, "content-type", 12, &value) == SSELINK_RESULT_OK);
    CHECK(str_is(value, "application/json"));
    sselink_stream_free(stream);

    char url[512];
    snprintf(url, sizeof url, "%s/silent", base_url);
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    char post_url[512];
    snprintf(post_url, sizeof post_url, "%s/flaky?key=nul-%ld", base_url, (long)getpid());
    CHECK(sselink_config_post_url(config, post_url, strlen(post_url)) == SSELINK_RESULT_OK);
    CHECK(sselink_config_post_delay(config, 10, 50) == SSELINK_RESULT_OK);
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    sselink_post_response *response = NULL;
    CHECK(sselink_stream_post(stream, (const uint8_t *)"{}", 2, 10000, &response) == SSELINK_RESULT_OK);
    CHECK(str_is(sselink_post_response_body(response), "{}"));
    CHECK(sselink_post_response_header(response, "Content-Type", 12, &value) == SSELINK_RESULT_OK);
    CHECK(str_is(value, "application/json"));
    CHECK(sselink_post_response_header(response, "content-length", 14, &value) == SSELINK_RESULT_OK);
    CHECK(str_is(value, "2"));
    sselink_post_response_free(response);
    CHECK(terminated(sselink_post_response_body(NULL)));
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    return 0;
}

/* close_and_wait from a log callback on the stream's own reader thread
 * returns at once instead of waiting for itself. */
static _Atomic(sselink_stream *) closing_in_callback;
static pthread_mutex_t closed_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closed_cond = PTHREAD_COND_INITIALIZER;
static int closed_in_callback;
static sselink_result closed_result;
static long long closed_took_ms;

static void close_from_the_callback(void *userdata, uint32_t level, sselink_str target, sselink_str message) {
    (void)userdata, (void)level, (void)target;
    if (strstr(message.ptr, "close-in-callback") == NULL) {
        return;
    }
    sselink_stream *stream = atomic_exchange(&closing_in_callback, NULL);
    if (stream == NULL) {
        return;
    }
    long long start = now_ms();
    sselink_result result = sselink_stream_close_and_wait(stream, 5000);
    pthread_mutex_lock(&closed_mutex);
    closed_result = result;
    closed_took_ms = now_ms() - start;
    closed_in_callback = 1;
    pthread_cond_broadcast(&closed_cond);
    pthread_mutex_unlock(&closed_mutex);
}

static int test_close_and_wait_in_a_log_callback_returns_at_once(void) {
    CHECK(sselink_log_set_callback(close_from_the_callback, NULL, 4) == SSELINK_RESULT_OK);
    sselink_stream *stream = open_stream("/silent?close-in-callback=1", NULL);
    CHECK(stream != NULL);
    atomic_store(&closing_in_callback, stream);
    /* The first connect may have been logged before the callback could find
     * the stream: a restart logs another. */
    sselink_item item;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_OPEN, &item) == SSELINK_RESULT_OK ||
          sselink_stream_state(stream) == SSELINK_STATE_CLOSED);
    sselink_stream_restart(stream);
    pthread_mutex_lock(&closed_mutex);
    int done = wait_flag(&closed_mutex, &closed_cond, &closed_in_callback, 10000);
    pthread_mutex_unlock(&closed_mutex);
    CHECK(sselink_log_set_callback(NULL, NULL, 0) == SSELINK_RESULT_OK);
    CHECK(done);
    printf("  (close_and_wait in the callback: %lld ms)\n", closed_took_ms);
    CHECK(closed_result == SSELINK_RESULT_TIMEOUT);
    CHECK(closed_took_ms < 1000);
    CHECK(sselink_stream_poll(stream, 1000, &item) == SSELINK_RESULT_CLOSED);
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    return 0;
}

/* close_and_wait from the header provider, on the stream's own reader
 * thread, returns at once too. */
static _Atomic(sselink_stream *) closing_in_provider;
static pthread_mutex_t provider_closed_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t provider_closed_cond = PTHREAD_COND_INITIALIZER;
static int provider_closed;
static sselink_result provider_close_result;
static long long provider_close_took_ms;

static void close_from_the_provider(void *userdata, sselink_headers *headers) {
    (void)userdata, (void)headers;
    sselink_stream *stream = atomic_exchange(&closing_in_provider, NULL);
    if (stream == NULL) {
        return;
    }
    long long start = now_ms();
    sselink_result result = sselink_stream_close_and_wait(stream, 5000);
    pthread_mutex_lock(&provider_closed_mutex);
    provider_close_result = result;
    provider_close_took_ms = now_ms() - start;
    provider_closed = 1;
    pthread_cond_broadcast(&provider_closed_cond);
    pthread_mutex_unlock(&provider_closed_mutex);
}

static int test_close_and_wait_in_the_provider_returns_at_once(void) {
    char url[512];
    snprintf(url, sizeof url, "%s/silent", base_url);
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    fast_reconnect(config);
    CHECK(sselink_config_header_provider(config, close_from_the_provider, NULL, NULL) == SSELINK_RESULT_OK);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    atomic_store(&closing_in_provider, stream);
    /* The first connect may have asked the provider before it could find
     * the stream: a restart asks again. */
    sselink_item item;
    CHECK(next_of_kind(stream, SSELINK_ITEM_KIND_OPEN, &item) == SSELINK_RESULT_OK ||
          sselink_stream_state(stream) == SSELINK_STATE_CLOSED);
    sselink_stream_restart(stream);
    pthread_mutex_lock(&provider_closed_mutex);
    int done = wait_flag(&provider_closed_mutex, &provider_closed_cond, &provider_closed, 10000);
    pthread_mutex_unlock(&provider_closed_mutex);
    CHECK(done);
    CHECK(provider_close_result == SSELINK_RESULT_TIMEOUT);
    CHECK(provider_close_took_ms < 1000);
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    return 0;
}

/* A provider's release may call the configuration's setters: it runs after
 * sselink let go of the configuration's lock. */
static atomic_int release_calls;
static _Atomic sselink_result release_result;

static void no_headers(void *userdata, sselink_headers *headers) {
    (void)userdata, (void)headers;
}

static void release_calls_a_setter(void *userdata) {
    atomic_store(&release_result, sselink_config_capacity(userdata, 8));
    atomic_fetch_add(&release_calls, 1);
}

static void count_release(void *userdata) {
    (void)userdata;
    atomic_fetch_add(&release_calls, 1);
}

static void *replace_provider(void *config) {
    sselink_config_header_provider(config, no_headers, NULL, NULL);
    return NULL;
}

static int test_release_may_call_setters(void) {
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://127.0.0.1/", 17, &config) == SSELINK_RESULT_OK);
    atomic_store(&release_calls, 0);
    atomic_store(&release_result, SSELINK_RESULT_PANIC);
    CHECK(sselink_config_header_provider(config, no_headers, config, release_calls_a_setter) == SSELINK_RESULT_OK);
    struct bounded_thread thread;
    CHECK(bounded_start(&thread, replace_provider, config) == 0);
    /* Else the replacing thread hangs in release. */
    bounded_join(&thread, 5000, "replacing a provider whose release calls a setter");
    CHECK(atomic_load(&release_calls) == 1);
    CHECK(atomic_load(&release_result) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    return 0;
}

/* A NULL provider has nothing to call: its release runs at once. */
static int test_a_null_provider_is_released_at_once(void) {
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://127.0.0.1/", 17, &config) == SSELINK_RESULT_OK);
    atomic_store(&release_calls, 1);
    int userdata = 0;
    CHECK(sselink_config_header_provider(config, NULL, &userdata, count_release) == SSELINK_RESULT_OK);
    CHECK(atomic_load(&release_calls) == 2);
    /* A call that fails leaves userdata to the caller. */
    CHECK(sselink_config_header_provider(NULL, NULL, &userdata, count_release) == SSELINK_RESULT_NULL_ARGUMENT);
    CHECK(atomic_load(&release_calls) == 2);
    sselink_config_free(config);
    CHECK(atomic_load(&release_calls) == 2);
    return 0;
}

/* A provider that cannot produce its headers fails the connect or the post
 * with SSELINK_RESULT_HEADER_PROVIDER and its reason: a header that is not
 * UTF-8, or sselink_headers_fail. */
static _Atomic sselink_result provider_add_result;

static void adds_a_header_that_is_not_utf8(void *userdata, sselink_headers *headers) {
    (void)userdata;
    atomic_store(&provider_add_result, sselink_headers_add(headers, "X-Token", 7, "\xff", 1));
}

static void cannot_fetch_its_token(void *userdata, sselink_headers *headers) {
    (void)userdata;
    sselink_headers_add(headers, "Authorization", 13, "Bearer stale", 12);
    sselink_headers_fail(headers, "token store unreachable", 23);
    sselink_headers_fail(headers, "a later reason", 14);
}

static int closes_for_the_provider(sselink_header_provider provider, const char *reason) {
    char url[512];
    snprintf(url, sizeof url, "%s/events?n=1", base_url);
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    no_reconnect(config);
    CHECK(sselink_config_header_provider(config, provider, NULL, NULL) == SSELINK_RESULT_OK);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_item item;
    int opened = 0;
    while (sselink_stream_poll(stream, 10000, &item) == SSELINK_RESULT_OK && item.kind != SSELINK_ITEM_KIND_CLOSED) {
        opened += item.kind == SSELINK_ITEM_KIND_OPEN;
    }
    CHECK(item.kind == SSELINK_ITEM_KIND_CLOSED && opened == 0);
    CHECK(item.error == SSELINK_RESULT_HEADER_PROVIDER);
    if (strstr(item.message.ptr, reason) == NULL) {
        fprintf(stderr, "  message: %s\n", item.message.ptr);
        return 1;
    }
    CHECK(strstr(item.message.ptr, "a later reason") == NULL); /* the first reason counts */
    sselink_stream_free(stream);
    /* A post asks the provider too. */
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    sselink_post_response *response = (sselink_post_response *)0x1;
    CHECK(sselink_stream_post(stream, (const uint8_t *)"{}", 2, 5000, &response) == SSELINK_RESULT_HEADER_PROVIDER);
    CHECK(response == (sselink_post_response *)0x1);
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    return 0;
}

static int test_provider_failures_fail_the_connect(void) {
    atomic_store(&provider_add_result, SSELINK_RESULT_OK);
    CHECK(closes_for_the_provider(adds_a_header_that_is_not_utf8, "value of header `X-Token` is not UTF-8") == 0);
    CHECK(atomic_load(&provider_add_result) == SSELINK_RESULT_INVALID_ARGUMENT);
    CHECK(closes_for_the_provider(cannot_fetch_its_token, "the header provider failed: token store unreachable") == 0);
    CHECK(sselink_headers_fail(NULL, "x", 1) == SSELINK_RESULT_NULL_ARGUMENT);
    return 0;
}

/* sselink_log_set_callback returns only once the callback it replaced has
 * returned on every other thread: the old userdata is free then. */
static pthread_mutex_t gate_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_entered, gate_released, gate_off, gate_calls_after_off, gate_off_before_return;
static atomic_int gate_calling;

static void blocking_callback(void *userdata, uint32_t level, sselink_str target, sselink_str message) {
    (void)userdata, (void)level, (void)target, (void)message;
    pthread_mutex_lock(&gate_mutex);
    gate_calls_after_off += gate_off;
    if (!gate_entered) {
        gate_entered = 1;
        pthread_cond_broadcast(&gate_cond);
        wait_flag(&gate_mutex, &gate_cond, &gate_released, 10000);
        /* Still inside the call: sselink_log_set_callback must not have
         * returned yet. */
        gate_off_before_return = gate_off;
    }
    pthread_mutex_unlock(&gate_mutex);
}

static void *turn_logging_off(void *unused) {
    (void)unused;
    atomic_store(&gate_calling, 1);
    sselink_log_set_callback(NULL, NULL, 0);
    pthread_mutex_lock(&gate_mutex);
    gate_off = 1;
    pthread_mutex_unlock(&gate_mutex);
    return NULL;
}

static int test_set_callback_waits_for_calls_in_progress(void) {
    CHECK(sselink_log_set_callback(blocking_callback, NULL, 5) == SSELINK_RESULT_OK);
    sselink_stream *stream = open_stream("/silent", NULL);
    CHECK(stream != NULL);
    pthread_mutex_lock(&gate_mutex);
    int entered = wait_flag(&gate_mutex, &gate_cond, &gate_entered, 10000);
    pthread_mutex_unlock(&gate_mutex);
    CHECK(entered);
    struct bounded_thread thread;
    CHECK(bounded_start(&thread, turn_logging_off, NULL) == 0);
    while (!atomic_load(&gate_calling)) {
        sched_yield();
    }
    /* Time for the other thread to get into the call (the check below only
     * passes vacuously if it has not). */
    nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    pthread_mutex_lock(&gate_mutex);
    gate_released = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_mutex);
    bounded_join(&thread, 10000, "sselink_log_set_callback(NULL) once the callback in progress returned");
    CHECK(sselink_stream_close_and_wait(stream, 5000) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    pthread_mutex_lock(&gate_mutex);
    int early = gate_off_before_return, late_calls = gate_calls_after_off;
    pthread_mutex_unlock(&gate_mutex);
    CHECK(!early);
    CHECK(late_calls == 0);
    return 0;
}

/* sselink_config_url_error says why sselink_config_new refused a URL. */
static int test_url_errors_say_why(void) {
    char buffer[256];
    size_t len = 99;
    sselink_config *config = NULL;
    CHECK(sselink_config_new("http://", 7, &config) == SSELINK_RESULT_INVALID_CONFIG);
    CHECK(sselink_config_url_error("http://", 7, buffer, sizeof buffer, &len) == SSELINK_RESULT_OK);
    CHECK(strstr(buffer, "empty host") != NULL && strlen(buffer) == len);
    CHECK(sselink_config_url_error("ftp://x/", 8, buffer, sizeof buffer, &len) == SSELINK_RESULT_OK);
    CHECK(strstr(buffer, "not http or https") != NULL);
    CHECK(sselink_config_url_error("\xff", 1, buffer, sizeof buffer, &len) == SSELINK_RESULT_OK);
    CHECK(strstr(buffer, "UTF-8") != NULL);
    CHECK(sselink_config_url_error("http://127.0.0.1/", 17, buffer, sizeof buffer, &len) == SSELINK_RESULT_OK);
    CHECK(len == 0 && buffer[0] == '\0');
    CHECK(sselink_config_url_error("http://", 7, NULL, 0, &len) == SSELINK_RESULT_BUFFER_TOO_SMALL && len > 10);
    CHECK(sselink_config_url_error(NULL, 3, buffer, sizeof buffer, &len) == SSELINK_RESULT_OK);
    CHECK(strstr(buffer, "NULL") != NULL);
    CHECK(sselink_config_url_error("http://", 7, buffer, sizeof buffer, NULL) == SSELINK_RESULT_NULL_ARGUMENT);
    return 0;
}

/* A stream that gives up says what its last attempt met. */
static int test_the_cause_behind_giving_up(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(listener >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    CHECK(bind(listener, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(getsockname(listener, (struct sockaddr *)&addr, &addr_len) == 0);
    close(listener); /* nothing listens there now: connections are refused */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(addr.sin_port));
    sselink_config *config = NULL;
    CHECK(sselink_config_new(url, strlen(url), &config) == SSELINK_RESULT_OK);
    fast_reconnect(config);
    CHECK(sselink_config_max_attempts(config, 1) == SSELINK_RESULT_OK);
    sselink_stream *stream = NULL;
    CHECK(sselink_stream_connect(config, &stream) == SSELINK_RESULT_OK);
    sselink_config_free(config);
    sselink_item item;
    while (sselink_stream_poll(stream, 10000, &item) == SSELINK_RESULT_OK && item.kind != SSELINK_ITEM_KIND_CLOSED) {
        /* A retry's own error is no giving up: no cause. */
        CHECK(item.kind != SSELINK_ITEM_KIND_RETRYING || item.error == SSELINK_RESULT_CONNECTION_REFUSED);
        CHECK(sselink_stream_item_cause(stream) == SSELINK_RESULT_OK);
    }
    CHECK(item.kind == SSELINK_ITEM_KIND_CLOSED && item.error == SSELINK_RESULT_ATTEMPTS_EXHAUSTED);
    CHECK(sselink_stream_item_cause(stream) == SSELINK_RESULT_CONNECTION_REFUSED);
    CHECK(sselink_stream_item_cause(NULL) == SSELINK_RESULT_OK);
    sselink_stream_free(stream);
    return 0;
}

#define SSELINK_STR_(x) #x
#define SSELINK_STR(x) SSELINK_STR_(x)

/* The header's version macros name the library it is linked with. */
static int test_version_macros_match_the_library(void) {
    const char *header = SSELINK_STR(SSELINK_VERSION_MAJOR) "." SSELINK_STR(
        SSELINK_VERSION_MINOR) "." SSELINK_STR(SSELINK_VERSION_PATCH);
    CHECK(strcmp(sselink_version(), header) == 0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s http://127.0.0.1:PORT\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    struct {
        const char *name;
        int (*run)(void);
    } tests[] = {
        {"version macros match the library", test_version_macros_match_the_library},
        {"connect, poll, close", test_connect_poll_close},
        {"close from another thread while polling", test_close_from_another_thread},
        {"NULL arguments and double close", test_null_arguments_and_double_close},
        {"invalid URL and header", test_invalid_url_and_header},
        {"setter extremes are refused with a message", test_setter_extremes},
        {"fields that do not apply are zero", test_fields_that_do_not_apply_are_zero},
        {"every other setter", test_every_other_setter},
        {"config error is a copy across threads", test_config_error_is_a_copy_across_threads},
        {"a refused thread is a resource error", test_refused_thread_is_a_resource_error},
        {"close and wait for the reader", test_close_and_wait},
        {"header provider rotates tokens", test_header_provider_rotates_tokens},
        {"post is retried and answers", test_post_is_retried_and_answers},
        {"post failures say why, with the last status", test_post_failures_say_why},
        {"an unresolved host is a DNS failure", test_unresolved_host_is_a_dns_failure},
        {"one thread polls ten streams", test_one_thread_polls_ten_streams},
        {"response headers and failed bodies reach C", test_response_headers_and_failed_bodies},
        {"data containing NUL", test_data_with_nul},
        {"a 4 MiB event", test_four_mib_event},
        {"reconnect with Last-Event-ID", test_reconnect_with_last_event_id},
        {"204 closes", test_no_content_closes},
        {"permanent error closes", test_permanent_error_closes},
        {"log callback never sees credentials, never on the caller's thread", test_log_callback_never_sees_credentials},
        {"item strings before any item are empty strings", test_item_strings_before_any_item},
        {"every sselink_str is NUL-terminated", test_every_sselink_str_is_nul_terminated},
        {"close_and_wait in a log callback returns at once", test_close_and_wait_in_a_log_callback_returns_at_once},
        {"close_and_wait in the header provider returns at once", test_close_and_wait_in_the_provider_returns_at_once},
        {"a provider's release may call setters", test_release_may_call_setters},
        {"a NULL provider is released at once", test_a_null_provider_is_released_at_once},
        {"provider failures fail the connect and the post", test_provider_failures_fail_the_connect},
        {"set_callback waits for calls in progress", test_set_callback_waits_for_calls_in_progress},
        {"URL errors say why", test_url_errors_say_why},
        {"the cause behind giving up", test_the_cause_behind_giving_up},
    };
    /* Every wait is bounded: a test that hangs fails after two minutes (the
     * slowest, under valgrind, takes about 3 s). */
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        watchdog_start(tests[i].name, 120);
        int failure = tests[i].run();
        watchdog_finish();
        printf("%s - %s\n", failure ? "FAIL" : "ok", tests[i].name);
        fflush(stdout);
        if (failure) {
            failed++;
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
