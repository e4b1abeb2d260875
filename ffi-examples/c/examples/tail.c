/* tail: prints the events of an SSE URL, one per line, until the stream ends
 * or max_events were printed. Lifecycle goes to stderr.
 * Usage: tail URL [max_events] */
#include "sselink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [max_events]\n", argv[0]);
        return 2;
    }
    long max_events = argc > 2 ? strtol(argv[2], NULL, 10) : -1;
    sselink_config *config = NULL;
    if (sselink_config_new(argv[1], strlen(argv[1]), &config) != SSELINK_RESULT_OK) {
        fprintf(stderr, "cannot create a configuration\n");
        return 1;
    }
    sselink_stream *stream = NULL;
    sselink_result result = sselink_stream_connect(config, &stream);
    if (result != SSELINK_RESULT_OK) {
        char why[512] = "";
        size_t len = 0;
        sselink_config_error(config, why, sizeof why, &len);
        fprintf(stderr, "%s: %s\n", sselink_result_message(result), why);
        sselink_config_free(config);
        return 1;
    }
    sselink_config_free(config);

    int status = 0;
    long printed = 0;
    sselink_item event;
    while (max_events < 0 || printed < max_events) {
        result = sselink_stream_poll(stream, -1, &event);
        if (result != SSELINK_RESULT_OK) {
            break; /* SSELINK_RESULT_CLOSED */
        }
        switch (event.kind) {
        case SSELINK_ITEM_KIND_EVENT:
            /* Data may hold NUL bytes: write it by length. */
            printf("%s\t%s\t", event.event_type.ptr, event.id.ptr);
            fwrite(event.data.ptr, 1, event.data.len, stdout);
            putchar('\n');
            fflush(stdout);
            printed++;
            break;
        case SSELINK_ITEM_KIND_OPEN:
            fprintf(stderr, "open: HTTP %u\n", event.http_status);
            break;
        case SSELINK_ITEM_KIND_RETRYING:
            fprintf(stderr, "retrying in %llu ms: %s\n", (unsigned long long)event.delay_ms, event.message.ptr);
            break;
        case SSELINK_ITEM_KIND_CLOSED:
            fprintf(stderr, "closed: %s\n", event.message.ptr);
            status = event.close_reason == SSELINK_CLOSE_REASON_ERROR ? 1 : 0;
            break;
        default:
            break;
        }
    }
    /* Wait for the reader thread too: a program about to exit (or to unload
     * the library) should leave no sselink thread behind. */
    sselink_stream_close_and_wait(stream, 5000);
    sselink_stream_free(stream);
    return status;
}
