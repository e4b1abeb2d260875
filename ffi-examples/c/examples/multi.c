/* multi: follows several SSE URLs from one thread, polling each in turn with
 * a short timeout, until every stream has ended.
 * Usage: multi URL [URL...] */
#include "sselink.h"

#include <stdio.h>
#include <string.h>

#define MAX_STREAMS 16

int main(int argc, char **argv) {
    int count = argc - 1;
    if (count < 1 || count > MAX_STREAMS) {
        fprintf(stderr, "usage: %s URL [URL...] (at most %d)\n", argv[0], MAX_STREAMS);
        return 2;
    }
    sselink_stream *streams[MAX_STREAMS] = {0};
    long events[MAX_STREAMS] = {0};
    for (int i = 0; i < count; i++) {
        sselink_config *config = NULL;
        if (sselink_config_new(argv[i + 1], strlen(argv[i + 1]), &config) != SSELINK_RESULT_OK) {
            return 1;
        }
        sselink_config_reconnect(config, false); /* each stream ends with its response */
        sselink_result result = sselink_stream_connect(config, &streams[i]);
        if (result != SSELINK_RESULT_OK) {
            char why[512] = "";
            size_t len = 0;
            sselink_config_error(config, why, sizeof why, &len);
            fprintf(stderr, "%s: %s\n", argv[i + 1], why);
            sselink_config_free(config);
            return 1;
        }
        sselink_config_free(config);
    }
    int open = count;
    sselink_item event;
    while (open > 0) {
        for (int i = 0; i < count; i++) {
            if (streams[i] == NULL) {
                continue;
            }
            sselink_result result = sselink_stream_poll(streams[i], 5, &event);
            if (result == SSELINK_RESULT_TIMEOUT) {
                continue;
            }
            if (result == SSELINK_RESULT_OK && event.kind == SSELINK_ITEM_KIND_EVENT) {
                printf("[%d] %.*s\n", i, (int)event.data.len, event.data.ptr);
                events[i]++;
            } else if (result == SSELINK_RESULT_CLOSED || event.kind == SSELINK_ITEM_KIND_CLOSED) {
                fprintf(stderr, "[%d] ended after %ld events\n", i, events[i]);
                sselink_stream_close_and_wait(streams[i], 5000);
                sselink_stream_free(streams[i]);
                streams[i] = NULL;
                open--;
            }
        }
    }
    fflush(stdout);
    return 0;
}
