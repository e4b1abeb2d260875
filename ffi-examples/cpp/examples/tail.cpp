// tail: follows a stream and prints each event as "type<TAB>id<TAB>data".
// Usage: tail URL [COUNT]
#include <cstdlib>
#include <iostream>
#include <string>

#include "sselink.hpp"

int main(int argc, char **argv) {
    if (argc < 2) {
        std::cerr << "usage: tail URL [COUNT]\n";
        return 2;
    }
    long count = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 0;
    try {
        sselink::Config config(argv[1]);
        config.reconnect(false);
        sselink::Stream stream(config);
        long seen = 0;
        for (const sselink::Event &event : stream.events()) {
            std::cout << event.type << '\t' << event.id << '\t' << event.data << '\n';
            if (++seen == count) {
                break;
            }
        }
    } catch (const sselink::Error &error) {
        std::cerr << error.what() << '\n';
        return 1;
    }
    return 0;
}
