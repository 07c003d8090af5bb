#pragma once
// One hiredis async connection driven by the broker's Asio event loop (no thread per
// connection). Every member must be called on the event-loop thread.
#include <boost/asio/io_context.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "redis/url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace faststream::redis {

// Resumes `h` from the event loop's queue (outside hiredis's callback).
void post_resume(boost::asio::io_context& io, std::coroutine_handle<> h);

// An owned copy of a reply, for code that keeps it past the callback.
struct Value {
  enum class Type { nil, string, integer, array, status, error };
  Type type = Type::nil;
  std::string str;  // string, status, error
  long long integer = 0;
  std::vector<Value> elements;

  bool is_error() const noexcept { return type == Type::error; }
  bool is_nil() const noexcept { return type == Type::nil; }
  static Value from(const redisReply* reply);
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Called with the reply, or with nullptr when the connection went away first.
  using Callback = std::function<void(redisReply* reply)>;

  Connection(boost::asio::io_context& io, std::string name);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects, authenticates and selects the db; `done("")` when usable, `done(reason)` when
  // not. The reason never contains the password.
  void connect(const Url& url, std::function<void(const std::string& error)> done);
  bool connected() const noexcept { return ready_; }
  const std::string& name() const noexcept { return name_; }

  // Queues a command (pipelined). False when not connected (the callback is not called).
  bool send(std::span<const std::string_view> args, Callback callback);
  // Queues a command whose reply nobody reads (UNSUBSCRIBE: hiredis routes its replies to
  // the subscription callbacks, never to a command callback).
  bool send_no_reply(std::span<const std::string_view> args);
  // SUBSCRIBE / PSUBSCRIBE: the callback sees the confirmation and every message, then
  // nullptr once the connection goes away.
  bool subscribe(bool pattern, std::string_view name, Callback callback);

  // Called once when an established connection is lost (not after close()).
  void on_disconnect(std::function<void(const std::string& reason)> callback) {
    on_disconnect_ = std::move(callback);
  }
  // Disconnects after the queued replies arrive; pending callbacks then get nullptr.
  void close();
  // Backpressure: stop reading the socket (the server buffers, and applies its own limits),
  // then read again. Replies already read are still delivered.
  void pause_reading();
  void resume_reading();

  // co_await conn->exec({"GET", "k"}): the reply as a Value; throws std::runtime_error
  // ("connection lost") when the connection went away. Resumes on the event loop.
  struct ExecAwaiter;
  ExecAwaiter exec(std::vector<std::string> args);

  // co_await conn->exec_map<T>(args, map): `map(reply)` runs inside hiredis's callback (no
  // copy of the reply tree) and its result is what the co_await yields.
  template <class T>
  struct MapAwaiter;
  template <class T>
  MapAwaiter<T> exec_map(std::vector<std::string> args, std::function<T(redisReply*)> map);
  boost::asio::io_context& io() noexcept { return io_; }

 private:
  struct Watcher;
  struct Pending;
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnected(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  void after_connect(int status);
  void fail_connect(std::string reason);
  void handshake(std::vector<std::vector<std::string>> commands);
  bool send_command(std::span<const std::string_view> args, Callback callback, bool persistent);

  boost::asio::io_context& io_;
  std::string name_;
  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<Watcher> watcher_;
  std::function<void(const std::string&)> connect_done_;
  std::function<void(const std::string&)> on_disconnect_;
  Url url_;
  bool ready_ = false;
  bool closing_ = false;
};

struct Connection::ExecAwaiter {
  ExecAwaiter(std::shared_ptr<Connection> c, std::vector<std::string> a)
      : conn(std::move(c)), args(std::move(a)) {}
  std::shared_ptr<Connection> conn;
  std::vector<std::string> args;
  Value result;
  bool lost = false;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h);
  Value await_resume();
};

template <class T>
struct Connection::MapAwaiter {
  MapAwaiter(std::shared_ptr<Connection> c, std::vector<std::string> a,
             std::function<T(redisReply*)> m)
      : conn(std::move(c)), args(std::move(a)), map(std::move(m)) {}
  std::shared_ptr<Connection> conn;
  std::vector<std::string> args;
  std::function<T(redisReply*)> map;
  std::optional<T> result;
  std::exception_ptr error;
  bool lost = false;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    std::vector<std::string_view> views(args.begin(), args.end());
    auto& io = conn->io();
    bool sent = conn->send(views, [this, h, &io](redisReply* r) {
      if (!r) {
        lost = true;
      } else {
        try {
          result.emplace(map(r));
        } catch (...) {
          error = std::current_exception();
        }
      }
      post_resume(io, h);
    });
    if (!sent) lost = true;
    return sent;
  }
  T await_resume() {
    if (lost) throw std::runtime_error("redis connection '" + conn->name() + "' lost");
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }
};

template <class T>
Connection::MapAwaiter<T> Connection::exec_map(std::vector<std::string> args,
                                               std::function<T(redisReply*)> map) {
  return MapAwaiter<T>(shared_from_this(), std::move(args), std::move(map));
}

}  // namespace faststream::redis
