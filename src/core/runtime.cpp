#include "core/runtime.hpp"

#include <boost/asio/post.hpp>

#include <stdexcept>
#include <utility>

namespace faststream::core {

struct Runtime::Timer {
  explicit Timer(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  Executor* target = nullptr;
  detail::UniqueFunction<void(bool)> fn;
  std::list<std::shared_ptr<Timer>>::iterator position;
  bool fired = false;
};

void AsioExecutor::post(detail::Callback fn) {
  auto& io = is_loop_ ? runtime_.loop_io() : runtime_.worker_io();
  boost::asio::post(io, [this, fn = std::move(fn)]() mutable {
    // Plain handlers and coroutine resumptions find their executor through this.
    detail::set_current_executor(this);
    fn();
  });
}

void AsioExecutor::post_after(std::chrono::nanoseconds delay,
                              detail::UniqueFunction<void(bool)> fn) {
  runtime_.add_timer(delay, this, std::move(fn));
}

Runtime::Runtime(std::string name) : name_(std::move(name)) {}

Runtime::~Runtime() {
  stop();
}

void Runtime::start(std::size_t worker_threads) {
  if (running_.exchange(true)) return;
  loop_io_ = std::make_unique<boost::asio::io_context>(1);
  worker_io_ = std::make_unique<boost::asio::io_context>();
  loop_guard_.emplace(loop_io_->get_executor());
  worker_guard_.emplace(worker_io_->get_executor());
  threads_.emplace_back([this] {
    detail::set_event_loop_thread(true);
    detail::set_current_executor(&loop_executor_);
    loop_io_->run();
  });
  if (worker_threads == 0) worker_threads = 1;
  for (std::size_t i = 0; i < worker_threads; ++i) {
    threads_.emplace_back([this] {
      detail::set_current_executor(&worker_executor_);
      worker_io_->run();
    });
  }
}

void Runtime::add_timer(std::chrono::nanoseconds delay, Executor* target,
                        detail::UniqueFunction<void(bool)> fn) {
  auto timer = std::make_shared<Timer>(*loop_io_);
  timer->target = target;
  timer->fn = std::move(fn);
  {
    std::lock_guard lock(timers_mutex_);
    if (!running_) {
      throw std::logic_error("faststream: timer requested on a stopped runtime (" + name_ + ")");
    }
    timers_.push_front(timer);
    timer->position = timers_.begin();
  }
  timer->timer.expires_after(delay);
  timer->timer.async_wait([this, timer](const boost::system::error_code& ec) {
    {
      std::lock_guard lock(timers_mutex_);
      if (timer->fired) return;
      timer->fired = true;
      timers_.erase(timer->position);
    }
    bool cancelled = ec == boost::asio::error::operation_aborted;
    if (timer->target == &loop_executor_) {
      timer->fn(cancelled);
    } else {
      auto fn = std::move(timer->fn);
      timer->target->post([fn = std::move(fn), cancelled]() mutable { fn(cancelled); });
    }
  });
}

void Runtime::cancel_timers() {
  std::vector<std::shared_ptr<Timer>> pending;
  {
    std::lock_guard lock(timers_mutex_);
    pending.assign(timers_.begin(), timers_.end());
  }
  // Cancel on the loop thread: steady_timer is not thread-safe.
  boost::asio::post(*loop_io_, [pending = std::move(pending)] {
    for (auto& t : pending) t->timer.cancel();
  });
}

void Runtime::stop() {
  if (!running_.exchange(false)) return;
  loop_guard_.reset();
  worker_guard_.reset();
  loop_io_->stop();
  worker_io_->stop();
  for (auto& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // stop() called from one of our own threads: it ends after returning
    } else if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
  {
    std::lock_guard lock(timers_mutex_);
    for (auto& t : timers_) t->fired = true;
    timers_.clear();
  }
  // Destroying the contexts destroys the handlers still queued (only after a forced stop).
  loop_io_.reset();
  worker_io_.reset();
}

Runtime& fallback_runtime() {
  static Runtime* runtime = [] {
    auto* r = new Runtime("fallback");  // lives for the whole process
    r->start(1);
    return r;
  }();
  return *runtime;
}

}  // namespace faststream::core
