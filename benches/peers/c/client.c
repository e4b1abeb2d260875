/* The C client of the benchmark: sselink through its C ABI.
 *
 *   client flood   <url> <events>
 *   client latency <url> <events>
 *   client idle    <url> <streams>
 *
 * Prints one JSON object, as the Rust and Go clients do. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sselink.h"

static uint64_t now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static long status_field(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long value = 0;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0) {
            value = strtol(line + len, NULL, 10);
        }
    }
    if (f) fclose(f);
    return value;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static struct sselink_stream *open_stream(const char *url) {
    struct sselink_config *config = NULL;
    struct sselink_stream *stream = NULL;
    if (sselink_config_new(url, strlen(url), &config) != SSELINK_RESULT_OK ||
        sselink_stream_connect(config, &stream) != SSELINK_RESULT_OK) {
        fprintf(stderr, "client: cannot connect to %s\n", url);
        exit(1);
    }
    sselink_config_free(config);
    return stream;
}

/* Waits for the next event; exits on a closed stream. */
static struct sselink_item next_event(struct sselink_stream *stream) {
    struct sselink_item item;
    for (;;) {
        if (sselink_stream_poll(stream, -1, &item) != SSELINK_RESULT_OK) {
            fprintf(stderr, "client: the stream closed early\n");
            exit(1);
        }
        if (item.kind == SSELINK_ITEM_KIND_EVENT) return item;
        if (item.kind == SSELINK_ITEM_KIND_CLOSED) {
            fprintf(stderr, "client: closed: %.*s\n", (int)item.message.len, item.message.ptr);
            exit(1);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: client flood|latency|idle URL N\n");
        return 2;
    }
    const char *mode = argv[1], *url = argv[2];
    size_t n = strtoull(argv[3], NULL, 10);
    uint64_t start = now_ns(CLOCK_MONOTONIC), cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID);

    if (strcmp(mode, "idle") == 0) {
        long rss = status_field("VmRSS:"), threads = status_field("Threads:");
        struct sselink_stream **streams = calloc(n, sizeof *streams);
        for (size_t i = 0; i < n; i++) streams[i] = open_stream(url);
        for (size_t i = 0; i < n; i++) next_event(streams[i]);
        printf("{\"streams\":%zu,\"kib_per_stream\":%.1f,\"threads_per_stream\":%.2f}\n", n,
               (double)(status_field("VmRSS:") - rss) / (double)n,
               (double)(status_field("Threads:") - threads) / (double)n);
        for (size_t i = 0; i < n; i++) sselink_stream_free(streams[i]);
        free(streams);
        return 0;
    }

    int latency = strcmp(mode, "latency") == 0;
    uint64_t *delays = latency ? calloc(n, sizeof *delays) : NULL;
    struct sselink_stream *stream = open_stream(url);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        struct sselink_item item = next_event(stream);
        bytes += item.data.len;
        if (latency) {
            uint64_t sent = strtoull(item.data.ptr, NULL, 10);
            uint64_t now = now_ns(CLOCK_MONOTONIC);
            delays[i] = now > sent ? now - sent : 0;
        }
    }
    double secs = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
    double cpu_secs = (double)(now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu) / 1e9;
    sselink_stream_free(stream);
    double p50 = 0, p99 = 0, max = 0;
    if (latency && n > 0) {
        qsort(delays, n, sizeof *delays, cmp_u64);
        p50 = (double)delays[(size_t)((double)(n - 1) * 0.5 + 0.5)] / 1e3;
        p99 = (double)delays[(size_t)((double)(n - 1) * 0.99 + 0.5)] / 1e3;
        max = (double)delays[n - 1] / 1e3;
    }
    free(delays);
    printf("{\"events\":%zu,\"bytes\":%zu,\"secs\":%f,\"cpu\":%f,\"p50_us\":%f,\"p99_us\":%f,"
           "\"max_us\":%f}\n",
           n, bytes, secs, cpu_secs, p50, p99, max);
    return 0;
}
