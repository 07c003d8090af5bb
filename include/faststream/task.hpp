#pragma once
// faststream::Task<T>: the lazy coroutine type of the framework. Coroutine handlers return it,
// publish/request return it. `co_await` it inside a coroutine, or call `.get()` to block on it
// from a plain handler or a foreign thread.
//
// Resumption rule: an operation that suspends resumes its coroutine on the executor the
// coroutine was running on (the event loop for coroutine handlers, the worker pool for plain
// handlers); under `.get()` it resumes inline on the completing thread.
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "faststream/detail/callback.hpp"

namespace faststream {

// Where coroutines resume and timers fire. Implemented in src/core (Asio), never exposed.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(detail::Callback fn) = 0;
  // Runs `fn(cancelled)` on this executor after `delay`; `cancelled` is true when the timer was
  // cut short because the runtime is stopping.
  virtual void post_after(std::chrono::nanoseconds delay,
                          detail::UniqueFunction<void(bool cancelled)> fn) = 0;
};

// Thrown into a coroutine whose timer was cancelled because the runtime is stopping.
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "operation cancelled: shutting down"; }
};

namespace detail {

// Coroutine frames come from thread-local free lists (a message costs a few frames).
void* allocate_frame(std::size_t size);
void deallocate_frame(void* ptr, std::size_t size) noexcept;

Executor* current_executor() noexcept;
void set_current_executor(Executor* executor) noexcept;
bool on_event_loop_thread() noexcept;
void set_event_loop_thread(bool value) noexcept;

// Resumes `h` on `executor`, or inline when there is none.
inline void resume_on(Executor* executor, std::coroutine_handle<> h) {
  if (executor) {
    executor->post([h] { h.resume(); });
  } else {
    h.resume();
  }
}

struct FramePromise {
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* ptr, std::size_t size) noexcept { deallocate_frame(ptr, size); }
};

struct PromiseBase : FramePromise {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct TaskPromise;

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(handle_); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    handle_.promise().continuation = caller;
    return handle_;
  }
  T await_resume() {
    auto& p = handle_.promise();
    if (p.error) std::rethrow_exception(p.error);
    if constexpr (!std::is_void_v<T>) return std::move(*p.value);
  }

  // Blocks the calling thread until the task completes and returns its result (or rethrows).
  // Not allowed on the event-loop thread: it would wait for itself.
  T get() &&;

 private:
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
struct TaskPromise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept {
    return Task<T>{std::coroutine_handle<TaskPromise>::from_promise(*this)};
  }
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct TaskPromise<void> : PromiseBase {
  Task<void> get_return_object() noexcept {
    return Task<void>{std::coroutine_handle<TaskPromise>::from_promise(*this)};
  }
  void return_void() noexcept {}
};

// A fire-and-forget coroutine: starts eagerly, frees itself at the end.
struct Detached {
  struct promise_type : FramePromise {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// Runs `task` to completion in the background; `done(error)` is called exactly once.
template <class T, class Done>
Detached spawn(Task<T> task, Done done) {
  std::exception_ptr error;
  try {
    co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  done(error);
}

void throw_if_blocking_forbidden();  // throws std::logic_error on the event-loop thread

template <class T>
struct SyncState {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
};

template <class T>
Detached sync_driver(Task<T> task, SyncState<T>* state) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
    } else {
      state->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    state->error = std::current_exception();
  }
  std::lock_guard lock(state->mutex);
  state->done = true;
  state->cv.notify_one();
}

// Clears the current executor for the scope: operations started under `.get()` resume inline
// on the thread that completes them, so a blocked worker never waits for its own pool.
class InlineResumptionScope {
 public:
  InlineResumptionScope() noexcept : saved_(current_executor()) { set_current_executor(nullptr); }
  ~InlineResumptionScope() { set_current_executor(saved_); }
  InlineResumptionScope(const InlineResumptionScope&) = delete;
  InlineResumptionScope& operator=(const InlineResumptionScope&) = delete;

 private:
  Executor* saved_;
};

}  // namespace detail

template <class T>
T sync_wait(Task<T> task) {
  detail::throw_if_blocking_forbidden();
  detail::SyncState<T> state;
  {
    detail::InlineResumptionScope scope;
    detail::sync_driver(std::move(task), &state);
  }
  std::unique_lock lock(state.mutex);
  state.cv.wait(lock, [&] { return state.done; });
  if (state.error) std::rethrow_exception(state.error);
  if constexpr (!std::is_void_v<T>) return std::move(*state.value);
}

template <class T>
T Task<T>::get() && {
  return sync_wait(std::move(*this));
}

// Suspends the calling coroutine for `duration` on its executor's timer.
// Throws faststream::Cancelled if the runtime stops meanwhile.
class SleepAwaiter {
 public:
  explicit SleepAwaiter(std::chrono::nanoseconds duration) noexcept : duration_(duration) {}
  bool await_ready() const noexcept { return duration_.count() <= 0; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() const {
    if (cancelled_) throw Cancelled{};
  }

 private:
  std::chrono::nanoseconds duration_;
  bool cancelled_ = false;
};

template <class Rep, class Period>
SleepAwaiter sleep(std::chrono::duration<Rep, Period> duration) {
  return SleepAwaiter{std::chrono::duration_cast<std::chrono::nanoseconds>(duration)};
}

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<Task<T>> : std::true_type {};
template <class T>
inline constexpr bool is_task_v = is_task<T>::value;

}  // namespace faststream
