#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "faststream/broker.hpp"
#include "faststream/codec.hpp"
#include "faststream/exceptions.hpp"
#include "faststream/middleware.hpp"

namespace faststream {

Task<void> Middleware::on_consume(Context&, ConsumeNext next) {
  return next();
}
Task<void> Middleware::on_publish(OutgoingMessage& message, PublishNext next) {
  return next(message);
}

// --- Retry ----------------------------------------------------------------------------------

std::chrono::milliseconds RetryPolicy::base_delay(std::uint32_t next_attempt) const noexcept {
  double factor = std::pow(multiplier, next_attempt >= 2 ? next_attempt - 2 : 0);
  double ms = static_cast<double>(initial_delay.count()) * factor;
  ms = std::min(ms, static_cast<double>(max_delay.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

RetryMiddleware::RetryMiddleware(RetryPolicy policy) : policy_(std::move(policy)) {
  if (policy_.max_attempts == 0) policy_.max_attempts = 1;
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
}

std::chrono::milliseconds RetryMiddleware::jittered(std::uint32_t next_attempt) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto base = static_cast<double>(policy_.base_delay(next_attempt).count());
  std::uniform_real_distribution<double> factor(1.0 - policy_.jitter, 1.0 + policy_.jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * factor(rng)));
}

bool RetryMiddleware::should_retry(std::exception_ptr error) const {
  try {
    std::rethrow_exception(error);
  } catch (const HandlerControl&) {
    return false;  // explicit ack/nack/reject/skip: the handler decided
  } catch (const Cancelled&) {
    return false;  // shutting down
  } catch (const DecodeError&) {
    if (!policy_.retry_on) return false;  // a bad payload stays bad
  } catch (...) {
  }
  return policy_.retry_on ? policy_.retry_on(error) : true;
}

Task<void> RetryMiddleware::on_consume(Context& ctx, ConsumeNext next) {
  Message& message = ctx.message();
  const auto caps = message.capabilities();
  // Batches are retried whole, in process: the broker settles their messages one by one.
  const bool broker_redelivery = caps.redelivery && ctx.batch_state() == nullptr;
  std::uint32_t attempt = broker_redelivery ? message.delivery_count() : 1;
  const auto started = std::chrono::steady_clock::now();

  for (;;) {
    std::exception_ptr error;
    try {
      co_await next();
      co_return;
    } catch (...) {
      error = std::current_exception();
    }
    if (!should_retry(error)) std::rethrow_exception(error);

    auto delay = jittered(attempt + 1);
    std::chrono::milliseconds elapsed;
    if (broker_redelivery && message.timestamp()) {
      elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now() - *message.timestamp());
    } else {
      elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
    }
    const bool attempts_left = attempt < policy_.max_attempts;
    const bool time_left =
        policy_.max_elapsed.count() == 0 || elapsed + delay < policy_.max_elapsed;
    if (!attempts_left || !time_left) {
      ctx.logger().warning("attempt {}/{} failed: {}; giving up ({})", attempt,
                           policy_.max_attempts, describe_exception(error),
                           attempts_left ? "max elapsed time reached" : "no attempts left");
      std::rethrow_exception(error);
    }
    if (broker_redelivery && !message.settled()) {
      ctx.logger().warning("attempt {}/{} failed: {}; broker redelivers in {} ms", attempt,
                           policy_.max_attempts, describe_exception(error), delay.count());
      if (!caps.delayed_redelivery) co_await sleep(delay);  // the broker redelivers at once
      throw NackMessage(
          NackOptions{caps.delayed_redelivery ? delay : std::chrono::milliseconds{0}, true});
    }
    ctx.logger().warning("attempt {}/{} failed: {}; retrying in {} ms", attempt,
                         policy_.max_attempts, describe_exception(error), delay.count());
    co_await sleep(delay);
    ctx.result().reset();
    ++attempt;
  }
}

// --- Exception mapping ----------------------------------------------------------------------

Task<void> ExceptionMiddleware::on_consume(Context& ctx, ConsumeNext next) {
  std::exception_ptr error;
  try {
    co_await next();
    co_return;
  } catch (...) {
    error = std::current_exception();
  }
  try {
    std::rethrow_exception(error);
  } catch (const HandlerControl&) {
    throw;
  } catch (...) {
  }
  for (auto it = mappers_.rbegin(); it != mappers_.rend(); ++it) {
    if (!it->matches(error)) continue;
    ctx.result().reset();
    it->handle(error, ctx);
    // A mapped value is the reply (to reply-to only; attached publishers get handler results).
    const Message& incoming = ctx.message();
    if (ctx.result() && !incoming.reply_to().empty()) {
      OutgoingMessage out = std::move(*ctx.result());
      ctx.result().reset();
      out.destination = incoming.reply_to();
      if (out.correlation_id.empty()) out.correlation_id = incoming.correlation_id();
      co_await ctx.broker().publish(std::move(out));
    }
    co_return;
  }
  std::rethrow_exception(error);
}

}  // namespace faststream
