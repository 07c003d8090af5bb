#pragma once
// Logging through spdlog without spdlog in the public headers. A disabled level costs one
// relaxed atomic load: nothing is formatted.
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/core.h>

namespace faststream {

enum class LogLevel : int { trace = 0, debug, info, warning, error, critical, off };
std::string_view to_string(LogLevel level) noexcept;
// Parses "trace|debug|info|warning|warn|error|critical|off" (case-insensitive); throws
// std::invalid_argument naming the accepted values.
LogLevel parse_log_level(std::string_view text);

namespace detail {
// Shared state of one named logger; the sink lives in src/core/logging.cpp.
struct LogSink {
  std::atomic<int> level{static_cast<int>(LogLevel::info)};
  std::string name;
  std::shared_ptr<void> backend;  // spdlog::logger
  void write(LogLevel level, std::string_view text) const;
};
std::shared_ptr<LogSink> make_log_sink(std::string name, LogLevel level);
}  // namespace detail

// A logger handed to handlers (by DI) and used by the framework. Lines written while a message
// is being handled carry the subscriber and the message id, as FastStream's logs do.
class Logger {
 public:
  Logger() = default;
  explicit Logger(std::shared_ptr<detail::LogSink> sink)
      : owner_(std::move(sink)), sink_(owner_.get()) {}

  // The same sink with a per-message context ("orders | 5f1c... - "). The copy does not own
  // the sink (no reference counting per message): it must not outlive this logger.
  Logger with_context(std::string_view subscriber, std::string_view message_id) const {
    Logger copy;
    copy.sink_ = sink_;
    copy.subscriber_ = subscriber;
    copy.message_id_ = message_id;
    return copy;
  }

  // A line at `level` is written. LogLevel::off as a line's level means "never".
  bool enabled(LogLevel level) const noexcept {
    return sink_ && level != LogLevel::off &&
           static_cast<int>(level) >= sink_->level.load(std::memory_order_relaxed);
  }
  void set_level(LogLevel level) noexcept {
    if (sink_) sink_->level.store(static_cast<int>(level), std::memory_order_relaxed);
  }
  LogLevel level() const noexcept {
    return sink_ ? static_cast<LogLevel>(sink_->level.load(std::memory_order_relaxed))
                 : LogLevel::off;
  }

  template <class... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
    if (!enabled(level)) return;
    write(level, fmt::vformat(format, fmt::make_format_args(args...)));
  }
  template <class... Args>
  void trace(fmt::format_string<Args...> f, Args&&... a) const {
    log(LogLevel::trace, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... a) const {
    log(LogLevel::debug, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... a) const {
    log(LogLevel::info, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void warning(fmt::format_string<Args...> f, Args&&... a) const {
    log(LogLevel::warning, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... a) const {
    log(LogLevel::error, f, std::forward<Args>(a)...);
  }

  // Writes an already formatted line (with the message context, if any).
  void write(LogLevel level, std::string_view text) const;

 private:
  std::shared_ptr<detail::LogSink> owner_;
  detail::LogSink* sink_ = nullptr;
  std::string_view subscriber_;
  std::string_view message_id_;
};

}  // namespace faststream
