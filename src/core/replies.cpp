#include "core/replies.hpp"

#include <fmt/format.h>

#include "faststream/exceptions.hpp"

namespace faststream::core {

struct ReplyRegistry::Pending {
  enum class State { waiting, replied, timed_out, closed };
  std::mutex mutex;
  State state = State::waiting;
  MessagePtr reply;
  std::coroutine_handle<> handle;
  Executor* executor = nullptr;

  void complete(MessagePtr message, State how) {
    std::coroutine_handle<> h;
    Executor* ex = nullptr;
    {
      std::lock_guard lock(mutex);
      if (state != State::waiting) return;
      state = how;
      reply = std::move(message);
      h = std::exchange(handle, {});
      ex = executor;
    }
    if (h) detail::resume_on(ex, h);
  }
};

namespace {
// Not an aggregate: g++ 12 destroys brace-initialized aggregates inside co_await twice.
struct WaitReply {
  WaitReply(std::shared_ptr<ReplyRegistry::Pending> p, BrokerCore* b, std::chrono::milliseconds t)
      : pending(std::move(p)), broker(b), timeout(t) {}
  std::shared_ptr<ReplyRegistry::Pending> pending;
  BrokerCore* broker;
  std::chrono::milliseconds timeout;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    using State = ReplyRegistry::Pending::State;
    std::lock_guard lock(pending->mutex);
    if (pending->state != State::waiting) return false;
    pending->handle = h;
    pending->executor = detail::current_executor();
    std::weak_ptr<ReplyRegistry::Pending> weak = pending;
    broker->event_loop().post_after(timeout, [weak](bool cancelled) {
      if (auto p = weak.lock()) p->complete(nullptr, cancelled ? State::closed : State::timed_out);
    });
    return true;
  }
  void await_resume() const noexcept {}
};
}  // namespace

std::shared_ptr<ReplyRegistry::Pending> ReplyRegistry::add(const std::string& key) {
  auto p = std::make_shared<Pending>();
  std::lock_guard lock(mutex_);
  pending_[key] = p;
  return p;
}

void ReplyRegistry::remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  pending_.erase(key);
}

bool ReplyRegistry::complete(const std::string& key, MessagePtr reply) {
  std::shared_ptr<Pending> p;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return false;
    p = it->second;
  }
  p->complete(std::move(reply), Pending::State::replied);
  return true;
}

void ReplyRegistry::close_all() {
  std::map<std::string, std::shared_ptr<Pending>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(pending_);
  }
  for (auto& [_, p] : all) p->complete(nullptr, Pending::State::closed);
}

Task<MessagePtr> ReplyRegistry::wait(std::shared_ptr<Pending> pending, BrokerCore& broker,
                                     std::chrono::milliseconds timeout, std::string destination) {
  co_await WaitReply(pending, &broker, timeout);
  std::lock_guard lock(pending->mutex);
  switch (pending->state) {
    case Pending::State::replied:
      co_return std::move(pending->reply);
    case Pending::State::timed_out:
      throw RequestTimeout(
          fmt::format("no reply from '{}' within {} ms", destination, timeout.count()));
    default:
      throw BrokerNotRunning(
          fmt::format("the broker stopped while waiting for a reply from '{}'", destination));
  }
}

Task<MessagePtr> request_via_publish(Transport& transport, ReplyRegistry& replies,
                                     BrokerCore& broker, OutgoingMessage message,
                                     std::chrono::milliseconds timeout, std::string reply_prefix) {
  std::string reply_to = reply_prefix + generate_id();
  auto pending = replies.add(reply_to);
  const std::string destination = message.destination;
  message.reply_to = reply_to;
  std::exception_ptr error;
  MessagePtr reply;
  try {
    co_await transport.publish(std::move(message));
    reply = co_await replies.wait(pending, broker, timeout, destination);
  } catch (...) {
    error = std::current_exception();
  }
  replies.remove(reply_to);
  if (error) std::rethrow_exception(error);
  co_return reply;
}

}  // namespace faststream::core
