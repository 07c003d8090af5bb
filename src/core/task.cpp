// Coroutine support: frame recycling, the current executor, sleep.
#include <array>
#include <cstdlib>
#include <new>
#include <stdexcept>

#include "core/runtime.hpp"
#include "faststream/task.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FASTSTREAM_RECYCLE_FRAMES 0  // let the sanitizers see every frame's lifetime
#else
#define FASTSTREAM_RECYCLE_FRAMES 1
#endif

namespace faststream::detail {
namespace {

thread_local Executor* tl_executor = nullptr;
thread_local bool tl_event_loop = false;

#if FASTSTREAM_RECYCLE_FRAMES
// Size classes of 64 bytes up to 2 KiB; each thread keeps up to 256 free frames per class.
// A frame freed on another thread simply joins that thread's list.
constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 32;
constexpr std::size_t kMaxFree = 256;

struct FreeNode {
  FreeNode* next;
};

// 0: not built yet, 1: alive, 2: destroyed (thread exit). Trivially destructible.
thread_local int tl_cache_state = 0;

struct FrameCache {
  std::array<FreeNode*, kClasses> heads{};
  std::array<std::size_t, kClasses> counts{};
  FrameCache() { tl_cache_state = 1; }
  ~FrameCache() {
    tl_cache_state = 2;
    for (auto* head : heads) {
      while (head) {
        auto* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
};
thread_local FrameCache tl_cache;
#endif

}  // namespace

void* allocate_frame(std::size_t size) {
#if FASTSTREAM_RECYCLE_FRAMES
  std::size_t cls = (size + kGranule - 1) / kGranule;
  if (cls < kClasses) {
    if (tl_cache_state == 2) return ::operator new(cls* kGranule);
    auto& cache = tl_cache;  // builds it on first use
    if (FreeNode* node = cache.heads[cls]) {
      cache.heads[cls] = node->next;
      --cache.counts[cls];
      return node;
    }
    return ::operator new(cls* kGranule);
  }
#endif
  return ::operator new(size);
}

void deallocate_frame(void* ptr, std::size_t size) noexcept {
#if FASTSTREAM_RECYCLE_FRAMES
  std::size_t cls = (size + kGranule - 1) / kGranule;
  if (cls < kClasses) {
    if (tl_cache_state == 1 && tl_cache.counts[cls] < kMaxFree) {
      auto* node = static_cast<FreeNode*>(ptr);
      node->next = tl_cache.heads[cls];
      tl_cache.heads[cls] = node;
      ++tl_cache.counts[cls];
      return;
    }
    ::operator delete(ptr);
    return;
  }
#endif
  (void)size;
  ::operator delete(ptr);
}

Executor* current_executor() noexcept {
  return tl_executor;
}
void set_current_executor(Executor* executor) noexcept {
  tl_executor = executor;
}
bool on_event_loop_thread() noexcept {
  return tl_event_loop;
}
void set_event_loop_thread(bool value) noexcept {
  tl_event_loop = value;
}

void throw_if_blocking_forbidden() {
  if (tl_event_loop) {
    throw std::logic_error(
        "faststream: a blocking call (.get()) on the event-loop thread would wait for itself; "
        "use co_await in coroutine handlers");
  }
}

}  // namespace faststream::detail

namespace faststream {

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  Executor* executor = detail::current_executor();
  auto fn = [this, h](bool cancelled) {
    cancelled_ = cancelled;
    h.resume();
  };
  if (executor) {
    executor->post_after(duration_, std::move(fn));
  } else {
    // No runtime thread (e.g. under Task::get() on a foreign thread): resume on the fallback
    // runtime's loop thread.
    auto& fallback = core::fallback_runtime();
    fallback.loop().post_after(duration_, std::move(fn));
  }
}

}  // namespace faststream
