#pragma once
// Middlewares wrap the processing of each incoming message and each outgoing publish.
// Order: broker middlewares (outermost), then router, then subscriber; each calls next().
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "faststream/context.hpp"
#include "faststream/message.hpp"
#include "faststream/task.hpp"

namespace faststream {

namespace detail {
struct ConsumeChain;
struct PublishChain;
}  // namespace detail

// Continues the consume chain: the next middleware, finally filter → decode → handler →
// publish the result. Call it at most once per attempt (the retry middleware calls it again
// for in-process retries).
class ConsumeNext {
 public:
  ConsumeNext(detail::ConsumeChain* chain, std::size_t index, Context* ctx) noexcept
      : chain_(chain), index_(index), ctx_(ctx) {}
  Task<void> operator()() const;

 private:
  detail::ConsumeChain* chain_;
  std::size_t index_;
  Context* ctx_;
};

class PublishNext {
 public:
  PublishNext(detail::PublishChain* chain, std::size_t index) noexcept
      : chain_(chain), index_(index) {}
  Task<void> operator()(OutgoingMessage& message) const;

 private:
  detail::PublishChain* chain_;
  std::size_t index_;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  // Wraps one incoming message. Exceptions propagate to the ack policy unless handled here.
  virtual Task<void> on_consume(Context& ctx, ConsumeNext next);
  // Wraps one outgoing message (results, replies and explicit publishes).
  virtual Task<void> on_publish(OutgoingMessage& message, PublishNext next);
};

// --- Retry with exponential backoff and jitter ---------------------------------------------
struct RetryPolicy {
  std::uint32_t max_attempts = 3;  // total deliveries including the first
  std::chrono::milliseconds initial_delay{100};
  double multiplier = 2.0;
  std::chrono::milliseconds max_delay{10'000};
  double jitter = 0.2;  // each delay is scaled by a random factor in [1-jitter, 1+jitter]
  // Stop retrying once this much time passed since the first delivery (0 = no limit).
  std::chrono::milliseconds max_elapsed{0};
  // Which failures to retry; default: everything except decode/validation errors (a bad
  // payload stays bad) and HandlerControl (explicit ack/nack/reject/skip).
  std::function<bool(std::exception_ptr)> retry_on;

  // The delay before attempt `next_attempt` (2 = first retry), before jitter.
  std::chrono::milliseconds base_delay(std::uint32_t next_attempt) const noexcept;
};

// Retries failed handlers. Where the broker redelivers on nack with a delay (memory broker,
// NATS JetStream...), it nacks with the backoff delay and lets the broker redeliver, counting
// attempts with the message's delivery count; elsewhere it retries in-process, sleeping
// between attempts. When attempts or time run out, the last error goes to the ack policy.
class RetryMiddleware : public Middleware {
 public:
  explicit RetryMiddleware(RetryPolicy policy = {});
  Task<void> on_consume(Context& ctx, ConsumeNext next) override;
  const RetryPolicy& policy() const noexcept { return policy_; }

 private:
  std::chrono::milliseconds jittered(std::uint32_t next_attempt) const;
  bool should_retry(std::exception_ptr error) const;
  RetryPolicy policy_;
};

// Maps exceptions thrown below it to outcomes: a handler registered with on<E>() runs for an
// E (the most recently registered matching type wins) and the exception is considered handled
// (the message is acked per policy); if the mapper returns a value, that value becomes the
// reply, as if the handler had returned it.
class ExceptionMiddleware : public Middleware {
 public:
  template <class E, class F>
  ExceptionMiddleware& on(F fn) {
    mappers_.push_back({[](std::exception_ptr e) -> bool {
                          try {
                            std::rethrow_exception(e);
                          } catch (const E&) {
                            return true;
                          } catch (...) {
                            return false;
                          }
                        },
                        [fn = std::move(fn)](std::exception_ptr e, Context& ctx) mutable {
                          try {
                            std::rethrow_exception(e);
                          } catch (const E& error) {
                            invoke_mapper(fn, error, ctx);
                          }
                        }});
    return *this;
  }
  Task<void> on_consume(Context& ctx, ConsumeNext next) override;

 private:
  template <class F, class E>
  static void invoke_mapper(F& fn, const E& error, Context& ctx);
  struct Mapper {
    std::function<bool(std::exception_ptr)> matches;
    std::function<void(std::exception_ptr, Context&)> handle;
  };
  std::vector<Mapper> mappers_;
};

// Sets the reply from a value (encoded as its payload kind); used by ExceptionMiddleware.
template <class T>
void set_reply(Context& ctx, const T& value);

}  // namespace faststream
