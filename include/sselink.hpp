/*
 * sselink.hpp: a header-only C++17 wrapper over the sselink C interface
 * (sselink.h). Link the C library as for C (pkg-config sselink, or CMake's
 * sselink::sselink).
 *
 *   sselink::Config config("https://example.com/events");
 *   config.header("Authorization", "Bearer " + token).idle_timeout(std::chrono::seconds(45));
 *   sselink::Stream stream(config);
 *   for (const sselink::Event &event : stream.events()) {
 *       std::cout << event.type << ": " << event.data << "\n";
 *   }
 *
 * Ownership: Config and Stream are move-only and free what they own; a
 * moved-from object holds nothing and every call on it fails with
 * SSELINK_RESULT_NULL_ARGUMENT (or is ignored, for close). A Stream's
 * destructor closes it and waits up to five seconds for its reader thread,
 * except on that thread itself (a Stream destroyed in a log callback),
 * where it does not wait.
 *
 * Strings in items are std::string_view into the stream's buffers, valid
 * until the next poll of that stream; Event::own() and friends copy.
 *
 * Errors: a failing call throws sselink::Error (the result code, the HTTP
 * status when there is one, and the library's message), and so does
 * iterating stream.events() when the stream ends on an error (a 401, the
 * attempts exhausted), as Rust's events() and Go's Events() report it.
 * Built with -fno-exceptions, nothing throws: the failing object remembers
 * its first error instead, in error(), and ok() turns false; a Stream made
 * from a Config that is not ok() does not connect.
 *
 * Threads: close(), close_and_wait(), restart(), state(), last_event_id(),
 * dropped() work from any thread, also while another thread polls; poll one
 * stream from one thread at a time.
 */
#ifndef SSELINK_HPP
#define SSELINK_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#include <stdexcept>
#define SSELINK_HPP_EXCEPTIONS 1
#else
#define SSELINK_HPP_EXCEPTIONS 0
#endif

#include "sselink.h"

namespace sselink {

/// What went wrong: a result code, the HTTP status behind it (0 if none) and
/// a sentence saying what to do.
struct Failure {
    sselink_result code = SSELINK_RESULT_OK;
    int status = 0;
    std::string message;
};

#if SSELINK_HPP_EXCEPTIONS
/// The exception every failing call throws.
class Error : public std::runtime_error {
  public:
    explicit Error(Failure failure)
        : std::runtime_error("sselink: " + failure.message), failure_(std::move(failure)) {}
    /// The result code: one kind of error each from SSELINK_RESULT_INVALID_CONFIG on.
    sselink_result code() const noexcept { return failure_.code; }
    /// The HTTP status behind the error, or 0.
    int status() const noexcept { return failure_.status; }

  private:
    Failure failure_;
};
#endif

namespace detail {
inline uint64_t to_millis(std::chrono::milliseconds value) {
    return value.count() < 0 ? 0 : static_cast<uint64_t>(value.count());
}
/// A wait for the C interface: negative is -1 (as long as it takes), and
/// waits beyond INT32_MAX milliseconds are cut to it.
inline int32_t to_wait(std::chrono::milliseconds value) {
    int64_t ms = value.count();
    return ms < 0 ? -1 : (ms > INT32_MAX ? INT32_MAX : static_cast<int32_t>(ms));
}
inline std::string_view view(sselink_str s) { return std::string_view(s.ptr, s.len); }
inline std::string message_of(sselink_result code) { return sselink_result_message(code); }
/// Why sselink_config_new refuses `url`, in the library's words.
inline std::string url_error(std::string_view url) {
    size_t length = 0;
    sselink_config_url_error(url.data(), url.size(), nullptr, 0, &length);
    std::string text(length + 1, '\0');
    if (sselink_config_url_error(url.data(), url.size(), text.data(), text.size(), &length) != SSELINK_RESULT_OK) {
        return message_of(SSELINK_RESULT_INVALID_CONFIG);
    }
    text.resize(length);
    return text;
}
}  // namespace detail

/// A server-sent event; views valid until the next poll of its stream.
struct Event {
    std::string_view type;
    std::string_view data;
    std::string_view id;
    /// The reconnection time the event's block set, if any.
    std::optional<std::chrono::milliseconds> retry;

    /// An owning copy, for keeping past the next poll.
    struct Owned {
        std::string type, data, id;
        std::optional<std::chrono::milliseconds> retry;
    };
    Owned own() const { return Owned{std::string(type), std::string(data), std::string(id), retry}; }
};

/// A connection attempt starts (0 for the first).
struct Connecting {
    int attempt;
};
/// The server accepted the stream; headers through Stream::header().
struct Open {
    int status;
};
/// A comment line, when comments are on.
struct Comment {
    std::string_view text;
};
/// A transient failure; the stream reconnects after `delay`.
struct Retrying {
    sselink_result error;
    int status;
    std::string_view message;
    std::chrono::milliseconds delay;
    int attempt;
};
/// The stream is finished; nothing follows.
struct Closed {
    sselink_close_reason reason;
    sselink_result error;
    int status;
    std::string_view message;
};

/// One thing that happened to a stream, in order.
using Item = std::variant<Connecting, Open, Event, Comment, Retrying, Closed>;

/// A stream configuration: move-only; every setter mirrors the Rust
/// builder's setter of the same name and returns *this.
class Config {
  public:
    /// A configuration for the stream at `url` (throws on a URL that does
    /// not parse or is not http or https, saying why).
    explicit Config(std::string_view url) {
        sselink_result result = sselink_config_new(url.data(), url.size(), &raw_);
        if (result != SSELINK_RESULT_OK) {
            fail(result, detail::url_error(url));
        }
    }
    Config(Config &&other) noexcept
        : raw_(std::exchange(other.raw_, nullptr)), error_(std::move(other.error_)) {}
    Config &operator=(Config &&other) noexcept {
        if (this != &other) {
            sselink_config_free(raw_);
            raw_ = std::exchange(other.raw_, nullptr);
            error_ = std::move(other.error_);
        }
        return *this;
    }
    Config(const Config &) = delete;
    Config &operator=(const Config &) = delete;
    ~Config() { sselink_config_free(raw_); }

    /// False once a call failed (only without exceptions; with them it threw).
    bool ok() const noexcept { return error_.code == SSELINK_RESULT_OK; }
    /// The first failure, when ok() is false.
    const Failure &error() const noexcept { return error_; }
    /// The C configuration, for calls this wrapper does not make.
    sselink_config *raw() const noexcept { return raw_; }

    /// `sselink_config_header`.
    Config &header(std::string_view name, std::string_view value) {
        return check(sselink_config_header(raw_, name.data(), name.size(), value.data(), value.size()));
    }

    /// `sselink_config_sensitive_header`.
    Config &sensitive_header(std::string_view name, std::string_view value) {
        return check(sselink_config_sensitive_header(raw_, name.data(), name.size(), value.data(), value.size()));
    }

    /// `sselink_config_query`.
    Config &query(std::string_view name, std::string_view value) {
        return check(sselink_config_query(raw_, name.data(), name.size(), value.data(), value.size()));
    }

    /// `sselink_config_method`.
    Config &method(std::string_view value) {
        return check(sselink_config_method(raw_, value.data(), value.size()));
    }

    /// `sselink_config_body`.
    Config &body(std::string_view bytes) {
        return check(sselink_config_body(raw_, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
    }

    /// `sselink_config_last_event_id`.
    Config &last_event_id(std::string_view value) {
        return check(sselink_config_last_event_id(raw_, value.data(), value.size()));
    }

    /// `sselink_config_resume_query`.
    Config &resume_query(std::string_view value) {
        return check(sselink_config_resume_query(raw_, value.data(), value.size()));
    }

    /// `sselink_config_connect_timeout`.
    Config &connect_timeout(std::chrono::milliseconds timeout) {
        return check(sselink_config_connect_timeout(raw_, millis(timeout)));
    }

    /// `sselink_config_idle_timeout`.
    Config &idle_timeout(std::chrono::milliseconds timeout) {
        return check(sselink_config_idle_timeout(raw_, millis(timeout)));
    }

    /// `sselink_config_reconnect`.
    Config &reconnect(bool enabled) {
        return check(sselink_config_reconnect(raw_, enabled));
    }

    /// `sselink_config_reconnect_delay`.
    Config &reconnect_delay(std::chrono::milliseconds initial, std::chrono::milliseconds max) {
        return check(sselink_config_reconnect_delay(raw_, millis(initial), millis(max)));
    }

    /// `sselink_config_jitter`.
    Config &jitter(double fraction) {
        return check(sselink_config_jitter(raw_, fraction));
    }

    /// `sselink_config_max_attempts`.
    Config &max_attempts(uint32_t attempts) {
        return check(sselink_config_max_attempts(raw_, attempts));
    }

    /// `sselink_config_time_budget`.
    Config &time_budget(std::chrono::milliseconds timeout) {
        return check(sselink_config_time_budget(raw_, millis(timeout)));
    }

    /// `sselink_config_healthy_after`.
    Config &healthy_after(std::chrono::milliseconds timeout) {
        return check(sselink_config_healthy_after(raw_, millis(timeout)));
    }

    /// `sselink_config_strict_status`.
    Config &strict_status(bool strict) {
        return check(sselink_config_strict_status(raw_, strict));
    }

    /// `sselink_config_retry_status`.
    Config &retry_status(uint16_t status) {
        return check(sselink_config_retry_status(raw_, status));
    }

    /// `sselink_config_permanent_status`.
    Config &permanent_status(uint16_t status) {
        return check(sselink_config_permanent_status(raw_, status));
    }

    /// `sselink_config_max_redirects`.
    Config &max_redirects(uint32_t max) {
        return check(sselink_config_max_redirects(raw_, max));
    }
    /// `sselink_config_insecure_redirects`.
    Config &insecure_redirects(bool enabled) {
        return check(sselink_config_insecure_redirects(raw_, enabled));
    }

    /// `sselink_config_max_line_length`.
    Config &max_line_length(size_t bytes) {
        return check(sselink_config_max_line_length(raw_, bytes));
    }

    /// `sselink_config_max_event_size`.
    Config &max_event_size(size_t bytes) {
        return check(sselink_config_max_event_size(raw_, bytes));
    }

    /// `sselink_config_capacity`.
    Config &capacity(size_t items) {
        return check(sselink_config_capacity(raw_, items));
    }

    /// `sselink_config_max_queued_bytes`.
    Config &max_queued_bytes(size_t bytes) {
        return check(sselink_config_max_queued_bytes(raw_, bytes));
    }

    /// `sselink_config_overflow`.
    Config &overflow(sselink_overflow overflow) {
        return check(sselink_config_overflow(raw_, static_cast<uint32_t>(overflow)));
    }

    /// `sselink_config_jitter_shape`.
    Config &jitter_shape(sselink_jitter_shape shape) {
        return check(sselink_config_jitter_shape(raw_, static_cast<uint32_t>(shape)));
    }

    /// `sselink_config_reset_on_open`.
    Config &reset_on_open(bool enabled) {
        return check(sselink_config_reset_on_open(raw_, enabled));
    }

    /// `sselink_config_server_retry`.
    Config &server_retry(bool enabled) {
        return check(sselink_config_server_retry(raw_, enabled));
    }

    /// `sselink_config_retry_all_statuses`.
    Config &retry_all_statuses(bool enabled) {
        return check(sselink_config_retry_all_statuses(raw_, enabled));
    }

    /// `sselink_config_any_content_type`.
    Config &any_content_type(bool enabled) {
        return check(sselink_config_any_content_type(raw_, enabled));
    }

    /// `sselink_config_resume_from_highest_id`.
    Config &resume_from_highest_id(bool enabled) {
        return check(sselink_config_resume_from_highest_id(raw_, enabled));
    }

    /// `sselink_config_filter_event_type`.
    Config &filter_event_type(std::string_view value) {
        return check(sselink_config_filter_event_type(raw_, value.data(), value.size()));
    }

    /// `sselink_config_post_url`.
    Config &post_url(std::string_view value) {
        return check(sselink_config_post_url(raw_, value.data(), value.size()));
    }

    /// `sselink_config_post_attempts`.
    Config &post_attempts(uint32_t attempts) {
        return check(sselink_config_post_attempts(raw_, attempts));
    }

    /// `sselink_config_post_delay`.
    Config &post_delay(std::chrono::milliseconds initial, std::chrono::milliseconds max) {
        return check(sselink_config_post_delay(raw_, millis(initial), millis(max)));
    }

    /// `sselink_config_post_timeout`.
    Config &post_timeout(std::chrono::milliseconds timeout) {
        return check(sselink_config_post_timeout(raw_, millis(timeout)));
    }

    /// `sselink_config_comments`.
    Config &comments(bool enabled) {
        return check(sselink_config_comments(raw_, enabled));
    }

    /// `sselink_config_deduplicate_ids`.
    Config &deduplicate_ids(bool enabled) {
        return check(sselink_config_deduplicate_ids(raw_, enabled));
    }

    /// `sselink_config_dispatch_incomplete_at_eof`.
    Config &dispatch_incomplete_at_eof(bool enabled) {
        return check(sselink_config_dispatch_incomplete_at_eof(raw_, enabled));
    }

    /// `sselink_config_root_certificate`.
    Config &root_certificate(std::string_view bytes) {
        return check(sselink_config_root_certificate(raw_, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
    }

    /// `sselink_config_platform_roots`.
    Config &platform_roots(bool enabled) {
        return check(sselink_config_platform_roots(raw_, enabled));
    }

    /// `sselink_config_retry_tls_errors`: TLS failures while connecting are
    /// final unless this is true (default false).
    Config &retry_tls_errors(bool enabled) {
        return check(sselink_config_retry_tls_errors(raw_, enabled));
    }

    /// `sselink_config_proxy`.
    Config &proxy(std::string_view value) {
        return check(sselink_config_proxy(raw_, value.data(), value.size()));
    }

    /// `sselink_config_no_proxy`.
    Config &no_proxy(std::string_view value) {
        return check(sselink_config_no_proxy(raw_, value.data(), value.size()));
    }

    /// `sselink_config_compressed`.
    Config &compressed(bool enabled) {
        return check(sselink_config_compressed(raw_, enabled));
    }

    /// `sselink_config_client_certificate`.
    Config &client_certificate(std::string_view chain, std::string_view key) {
        return check(sselink_config_client_certificate(raw_, reinterpret_cast<const uint8_t *>(chain.data()), chain.size(), reinterpret_cast<const uint8_t *>(key.data()), key.size()));
    }

    /// `sselink_config_reader_stack_size`.
    Config &reader_stack_size(size_t bytes) {
        return check(sselink_config_reader_stack_size(raw_, bytes));
    }

    /// `sselink_config_header_provider`: `provider` runs before every connect
    /// (on the reader thread) and post attempt (on the posting thread); its
    /// headers replace configured ones of the same name. It must be
    /// thread-safe. When it throws, or returns a header that is not UTF-8,
    /// no request is sent: the stream closes with
    /// SSELINK_RESULT_HEADER_PROVIDER, the exception's what() in the message.
    Config &header_provider(std::function<std::vector<std::pair<std::string, std::string>>()> provider) {
        using Provider = std::function<std::vector<std::pair<std::string, std::string>>()>;
        auto *owned = new Provider(std::move(provider));
        sselink_result result = sselink_config_header_provider(
            raw_,
            [](void *userdata, sselink_headers *headers) {
#if SSELINK_HPP_EXCEPTIONS
                try {
#endif
                    for (const auto &header : (*static_cast<Provider *>(userdata))()) {
                        if (sselink_headers_add(headers, header.first.data(), header.first.size(),
                                                header.second.data(), header.second.size()) != SSELINK_RESULT_OK) {
                            return;  // the call failed: sselink sends nothing
                        }
                    }
#if SSELINK_HPP_EXCEPTIONS
                } catch (const std::exception &error) {
                    char reason[512];
                    int length = std::snprintf(reason, sizeof reason, "the provider threw: %s", error.what());
                    sselink_headers_fail(headers, reason,
                                         length < 0 ? 0 : std::min(static_cast<size_t>(length), sizeof reason - 1));
                } catch (...) {
                    static const char reason[] = "the provider threw an exception";
                    sselink_headers_fail(headers, reason, sizeof reason - 1);
                }
#endif
            },
            owned, [](void *userdata) { delete static_cast<Provider *>(userdata); });
        if (result != SSELINK_RESULT_OK) {
            delete owned;  // not installed: the release callback will not run
        }
        return check(result);
    }

  private:
    static uint64_t millis(std::chrono::milliseconds value) { return detail::to_millis(value); }

    std::string last_message() const {
        size_t length = 0;
        sselink_config_error(raw_, nullptr, 0, &length);
        std::string text(length + 1, '\0');
        if (sselink_config_error(raw_, text.data(), text.size(), &length) != SSELINK_RESULT_OK) {
            return detail::message_of(SSELINK_RESULT_INVALID_CONFIG);
        }
        text.resize(length);
        return text;
    }

    Config &check(sselink_result result) {
        if (result != SSELINK_RESULT_OK) {
            fail(result, raw_ ? last_message() : detail::message_of(result));
        }
        return *this;
    }

    void fail(sselink_result code, std::string message) {
        if (message.empty()) {
            message = detail::message_of(code);
        }
#if SSELINK_HPP_EXCEPTIONS
        throw Error(Failure{code, 0, std::move(message)});
#else
        if (error_.code == SSELINK_RESULT_OK) {
            error_ = Failure{code, 0, std::move(message)};
        }
#endif
    }

    friend class Stream;
    sselink_config *raw_ = nullptr;
    Failure error_;
};

/// A live stream: move-only; the destructor closes it, waits up to five
/// seconds for its reader thread (not on that thread itself: a Stream may be
/// destroyed in a log callback), and frees it.
class Stream {
  public:
    /// Connects with `config` (which may be freed or reused afterwards).
    /// Without exceptions, a `config` that is not ok() is not used: the
    /// Stream does not connect, and error() is the config's error.
    explicit Stream(const Config &config) {
        if (!config.ok()) {
            error_ = config.error();
            return;
        }
        sselink_result result = sselink_stream_connect(config.raw_, &raw_);
        if (result != SSELINK_RESULT_OK) {
            Failure failure{result, 0, config.raw_ ? config.last_message() : detail::message_of(result)};
            if (failure.message.empty()) {
                failure.message = detail::message_of(result);
            }
#if SSELINK_HPP_EXCEPTIONS
            throw Error(std::move(failure));
#else
            error_ = std::move(failure);
#endif
        }
    }
    Stream(Stream &&other) noexcept
        : raw_(std::exchange(other.raw_, nullptr)), finished_(std::exchange(other.finished_, true)),
          error_(std::move(other.error_)) {}
    Stream &operator=(Stream &&other) noexcept {
        if (this != &other) {
            release();
            raw_ = std::exchange(other.raw_, nullptr);
            finished_ = std::exchange(other.finished_, true);
            error_ = std::move(other.error_);
        }
        return *this;
    }
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;
    ~Stream() { release(); }

    /// False when connecting failed (only without exceptions), and once the
    /// stream closed on an error.
    bool ok() const noexcept { return raw_ != nullptr && error_.code == SSELINK_RESULT_OK; }
    /// Why ok() is false: the connect's failure, or the error the stream
    /// closed on (the error of its Closed item; events() throws it).
    const Failure &error() const noexcept { return error_; }
    /// The C stream, for calls this wrapper does not make.
    sselink_stream *raw() const noexcept { return raw_; }

    /// Waits up to `timeout` (negative: as long as it takes) for the next
    /// item. std::nullopt when nothing came in time, or when the stream is
    /// finished (then finished() is true). Its strings are valid until the
    /// next poll.
    std::optional<Item> poll(std::chrono::milliseconds timeout) {
        if (raw_ == nullptr || finished_) {
            finished_ = true;
            return std::nullopt;
        }
        sselink_item item;
        sselink_result result = sselink_stream_poll(raw_, detail::to_wait(timeout), &item);
        if (result == SSELINK_RESULT_TIMEOUT) {
            return std::nullopt;
        }
        if (result != SSELINK_RESULT_OK) {
            finished_ = true;
            return std::nullopt;
        }
        if (item.kind == SSELINK_ITEM_KIND_CLOSED) {
            finished_ = true;
            if (item.error != SSELINK_RESULT_OK && error_.code == SSELINK_RESULT_OK) {
                error_ = Failure{item.error, item.http_status, std::string(detail::view(item.message))};
            }
        }
        return convert(item);
    }

    /// True once the closing item was returned or the stream was closed.
    bool finished() const noexcept { return finished_ || raw_ == nullptr; }

    /// Closes the stream: at once, from any thread, also while another
    /// thread polls (that poll returns std::nullopt and finished() turns true).
    void close() noexcept { sselink_stream_close(raw_); }

    /// Closes, then waits up to `timeout` (negative: as long as it takes)
    /// for the reader thread to exit; true once it has. On the reader thread
    /// itself (in a log callback) it returns false at once.
    bool close_and_wait(std::chrono::milliseconds timeout) noexcept {
        return raw_ != nullptr && sselink_stream_close_and_wait(raw_, detail::to_wait(timeout)) == SSELINK_RESULT_OK;
    }

    /// Reconnects at once with the last event id; false when finished.
    bool restart() noexcept { return raw_ != nullptr && sselink_stream_restart(raw_) == SSELINK_RESULT_OK; }

    sselink_state state() const noexcept { return sselink_stream_state(raw_); }
    uint64_t dropped() const noexcept { return sselink_stream_dropped(raw_); }

    /// The last event id of the items polled so far (an owning copy).
    std::string last_event_id() const {
        size_t length = 0;
        if (raw_ == nullptr) {
            return std::string();
        }
        sselink_stream_last_event_id(raw_, nullptr, 0, &length);
        std::string id(length + 1, '\0');
        while (sselink_stream_last_event_id(raw_, id.data(), id.size(), &length) ==
               SSELINK_RESULT_BUFFER_TOO_SMALL) {
            id.assign(length + 1, '\0');
        }
        id.resize(length);
        return id;
    }

    /// The value of response header `name` of the last polled Open item (or
    /// of the failed response behind a Retrying or Closed item).
    std::optional<std::string_view> header(std::string_view name) const {
        sselink_str value;
        if (raw_ == nullptr ||
            sselink_stream_item_header_value(raw_, name.data(), name.size(), &value) != SSELINK_RESULT_OK) {
            return std::nullopt;
        }
        return detail::view(value);
    }

    /// Iteration over items: `for (const sselink::Item &item : stream)`.
    class ItemIterator {
      public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Item;
        using difference_type = std::ptrdiff_t;
        using pointer = const Item *;
        using reference = const Item &;

        ItemIterator() = default;
        explicit ItemIterator(Stream *stream) : stream_(stream) { ++*this; }
        reference operator*() const { return *item_; }
        pointer operator->() const { return &*item_; }
        ItemIterator &operator++() {
            item_ = stream_->poll(std::chrono::milliseconds(-1));
            if (!item_) {
                stream_ = nullptr;
            }
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(const ItemIterator &other) const { return stream_ == other.stream_; }
        bool operator!=(const ItemIterator &other) const { return !(*this == other); }

      private:
        Stream *stream_ = nullptr;
        std::optional<Item> item_;
    };

    ItemIterator begin() { return ItemIterator(this); }
    ItemIterator end() { return ItemIterator(); }

    /// Iteration over events alone: `for (const sselink::Event &e : stream.events())`.
    /// Lifecycle items are skipped; when the stream closes on an error it
    /// throws sselink::Error (without exceptions the loop ends and error()
    /// says why).
    class Events {
      public:
        class Iterator {
          public:
            using iterator_category = std::input_iterator_tag;
            using value_type = Event;
            using difference_type = std::ptrdiff_t;
            using pointer = const Event *;
            using reference = const Event &;

            Iterator() = default;
            explicit Iterator(Stream *stream) : stream_(stream), items_(stream) { skip(); }
            reference operator*() const { return std::get<Event>(*items_); }
            pointer operator->() const { return &std::get<Event>(*items_); }
            Iterator &operator++() {
                ++items_;
                skip();
                return *this;
            }
            void operator++(int) { ++*this; }
            bool operator==(const Iterator &other) const { return items_ == other.items_; }
            bool operator!=(const Iterator &other) const { return !(*this == other); }

          private:
            void skip() {
                while (items_ != ItemIterator() && !std::holds_alternative<Event>(*items_)) {
                    bool failed = std::holds_alternative<Closed>(*items_) &&
                                  std::get<Closed>(*items_).error != SSELINK_RESULT_OK;
                    ++items_;
#if SSELINK_HPP_EXCEPTIONS
                    if (failed) {
                        throw Error(stream_->error_);
                    }
#else
                    (void)failed;
#endif
                }
            }
            Stream *stream_ = nullptr;
            ItemIterator items_;
        };
        explicit Events(Stream *stream) : stream_(stream) {}
        Iterator begin() { return Iterator(stream_); }
        Iterator end() { return Iterator(); }

      private:
        Stream *stream_;
    };
    Events events() { return Events(this); }

  private:
    static Item convert(const sselink_item &item) {
        switch (item.kind) {
        case SSELINK_ITEM_KIND_CONNECTING:
            return Connecting{static_cast<int>(item.attempt)};
        case SSELINK_ITEM_KIND_OPEN:
            return Open{item.http_status};
        case SSELINK_ITEM_KIND_EVENT: {
            Event event{detail::view(item.event_type), detail::view(item.data), detail::view(item.id), std::nullopt};
            if (item.retry_ms >= 0) {
                event.retry = std::chrono::milliseconds(item.retry_ms);
            }
            return event;
        }
        case SSELINK_ITEM_KIND_COMMENT:
            return Comment{detail::view(item.data)};
        case SSELINK_ITEM_KIND_RETRYING:
            return Retrying{item.error, item.http_status, detail::view(item.message),
                            std::chrono::milliseconds(static_cast<int64_t>(item.delay_ms)),
                            static_cast<int>(item.attempt)};
        case SSELINK_ITEM_KIND_CLOSED:
        default:
            return Closed{item.close_reason, item.error, item.http_status, detail::view(item.message)};
        }
    }

    void release() noexcept {
        if (raw_ != nullptr) {
            sselink_stream_close_and_wait(raw_, 5000);
            sselink_stream_free(raw_);
            raw_ = nullptr;
        }
    }

    sselink_stream *raw_ = nullptr;
    bool finished_ = false;
    Failure error_;
};

}  // namespace sselink

#endif /* SSELINK_HPP */
