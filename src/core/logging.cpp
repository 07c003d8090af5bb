#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "faststream/logger.hpp"

namespace faststream {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return spdlog::level::trace;
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warning:
      return spdlog::level::warn;
    case LogLevel::error:
      return spdlog::level::err;
    case LogLevel::critical:
      return spdlog::level::critical;
    case LogLevel::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
    case LogLevel::critical:
      return "critical";
    case LogLevel::off:
      return "off";
  }
  return "info";
}

LogLevel parse_log_level(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "trace") return LogLevel::trace;
  if (lower == "debug") return LogLevel::debug;
  if (lower == "info") return LogLevel::info;
  if (lower == "warning" || lower == "warn") return LogLevel::warning;
  if (lower == "error") return LogLevel::error;
  if (lower == "critical") return LogLevel::critical;
  if (lower == "off") return LogLevel::off;
  throw std::invalid_argument("unknown log level '" + std::string(text) +
                              "': use trace, debug, info, warning, error, critical or off");
}

namespace detail {

void LogSink::write(LogLevel level, std::string_view text) const {
  auto* logger = static_cast<spdlog::logger*>(backend.get());
  logger->log(to_spdlog(level), "{}", text);
}

std::shared_ptr<LogSink> make_log_sink(std::string name, LogLevel level) {
  auto sink = std::make_shared<LogSink>();
  sink->name = name;
  sink->level.store(static_cast<int>(level));
  // One stderr sink shared by all loggers; our own level check runs before spdlog's.
  static auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(std::move(name), console);
  logger->set_level(spdlog::level::trace);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-8l%$ %n - %v");
  sink->backend = logger;
  return sink;
}

}  // namespace detail

void Logger::write(LogLevel level, std::string_view text) const {
  if (!enabled(level)) return;
  if (subscriber_.empty() && message_id_.empty()) {
    sink_->write(level, text);
  } else {
    // FastStream prints the first 10 characters of the message id.
    sink_->write(level, fmt::format("{} | {} - {}", subscriber_, message_id_.substr(0, 10), text));
  }
}

}  // namespace faststream
