#include "redis/connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <stdexcept>
#include <utility>

namespace faststream::redis {

void post_resume(boost::asio::io_context& io, std::coroutine_handle<> h) {
  boost::asio::post(io, [h] { h.resume(); });
}

Value Value::from(const redisReply* r) {
  Value v;
  if (!r) return v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.type = Type::string;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = Type::status;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = Type::error;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = Type::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = Type::array;
      v.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(from(r->element[i]));
      break;
    default:
      v.type = Type::nil;
  }
  return v;
}

// Drives a hiredis context's socket from Asio: hiredis asks for read/write interest through
// the ev hooks; we wait for readiness and call back into hiredis. Shared with the pending
// waits, so it outlives the context if a wait completes after cleanup.
struct Connection::Watcher : std::enable_shared_from_this<Watcher> {
  Watcher(boost::asio::io_context& io, int fd, redisAsyncContext* c) : socket(io, fd), ac(c) {}
  boost::asio::posix::stream_descriptor socket;
  redisAsyncContext* ac;  // nullptr after cleanup
  bool want_read = false, want_write = false, read_armed = false, write_armed = false;
  bool paused = false;  // backpressure: leave data in the socket (and in Redis's buffer)

  void arm_read() {
    if (read_armed || !ac || paused) return;
    read_armed = true;
    socket.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        self->read_armed = false;
                        if (ec || !self->ac || !self->want_read) return;
                        redisAsyncHandleRead(self->ac);  // may free the context
                        if (self->ac && self->want_read && !self->paused) self->arm_read();
                      });
  }
  void arm_write() {
    if (write_armed || !ac) return;
    write_armed = true;
    socket.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        self->write_armed = false;
                        if (ec || !self->ac || !self->want_write) return;
                        redisAsyncHandleWrite(self->ac);
                        if (self->ac && self->want_write) self->arm_write();
                      });
  }

  static void add_read(void* p) {
    auto* w = static_cast<Watcher*>(p);
    w->want_read = true;
    w->arm_read();
  }
  static void del_read(void* p) { static_cast<Watcher*>(p)->want_read = false; }
  static void add_write(void* p) {
    auto* w = static_cast<Watcher*>(p);
    w->want_write = true;
    w->arm_write();
  }
  static void del_write(void* p) { static_cast<Watcher*>(p)->want_write = false; }
  static void cleanup(void* p) {
    auto* w = static_cast<Watcher*>(p);
    w->want_read = w->want_write = false;
    w->ac = nullptr;
    boost::system::error_code ignored;
    w->socket.cancel(ignored);
    (void)w->socket.release();  // hiredis closes the fd itself
  }
};

// The callback of one command (or of one subscription, which stays until the end).
struct Connection::Pending {
  Callback callback;
  bool persistent = false;
};

Connection::Connection(boost::asio::io_context& io, std::string name)
    : io_(io), name_(std::move(name)) {}

Connection::~Connection() {
  if (ac_) {
    ac_->data = nullptr;  // no callbacks into a destroyed object
    redisAsyncFree(ac_);  // pending callbacks get nullptr (and free their Pending)
    ac_ = nullptr;
  }
}

void Connection::connect(const Url& url, std::function<void(const std::string&)> done) {
  url_ = url;
  connect_done_ = std::move(done);
  ready_ = false;
  closing_ = false;
  ac_ = redisAsyncConnect(url.host.c_str(), url.port);
  if (!ac_) return fail_connect("out of memory");
  if (ac_->err) {
    std::string reason = ac_->errstr;
    redisAsyncFree(ac_);
    ac_ = nullptr;
    return fail_connect(reason);
  }
  ac_->data = this;
  watcher_ = std::make_shared<Watcher>(io_, ac_->c.fd, ac_);
  ac_->ev.data = watcher_.get();
  ac_->ev.addRead = &Watcher::add_read;
  ac_->ev.delRead = &Watcher::del_read;
  ac_->ev.addWrite = &Watcher::add_write;
  ac_->ev.delWrite = &Watcher::del_write;
  ac_->ev.cleanup = &Watcher::cleanup;
  redisAsyncSetConnectCallback(ac_, &Connection::on_connect);
  redisAsyncSetDisconnectCallback(ac_, &Connection::on_disconnected);
}

void Connection::fail_connect(std::string reason) {
  auto done = std::move(connect_done_);
  connect_done_ = nullptr;
  if (done) done(reason.empty() ? std::string("connection failed") : reason);
}

void Connection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Connection*>(ac->data);
  if (self) self->after_connect(status);
}

void Connection::after_connect(int status) {
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback.
    std::string reason = ac_ && ac_->errstr ? ac_->errstr : "connection refused";
    ac_ = nullptr;
    return fail_connect(reason);
  }
  std::vector<std::vector<std::string>> commands;
  if (!url_.password.empty()) {
    if (url_.user.empty())
      commands.push_back({"AUTH", url_.password});
    else
      commands.push_back({"AUTH", url_.user, url_.password});
  }
  if (url_.db != 0) commands.push_back({"SELECT", std::to_string(url_.db)});
  commands.push_back({"CLIENT", "SETNAME", name_});
  handshake(std::move(commands));
}

// Runs the setup commands in order; the connection is ready once they all succeeded.
void Connection::handshake(std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) {
    ready_ = true;
    auto done = std::move(connect_done_);
    connect_done_ = nullptr;
    if (done) done("");
    return;
  }
  auto first = std::move(commands.front());
  commands.erase(commands.begin());
  std::vector<std::string_view> args(first.begin(), first.end());
  const bool is_auth = first.front() == "AUTH";
  auto on_done = [this, rest = std::move(commands), is_auth,
                  command = first.front()](redisReply* r) mutable {
    if (!r) return fail_connect("connection lost during setup");
    if (r->type == REDIS_REPLY_ERROR) {
      // Never echo AUTH arguments; Redis's own message is safe.
      std::string why(r->str, r->len);
      fail_connect((is_auth ? std::string("authentication failed: ") : command + ": ") + why);
      close();
      return;
    }
    handshake(std::move(rest));
  };
  if (!send_command(args, std::move(on_done), false)) fail_connect("cannot send the setup command");
}

void Connection::on_disconnected(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Connection*>(ac->data);
  if (!self) return;
  const bool was_ready = self->ready_;
  std::string reason = status == REDIS_OK ? "closed" : (ac->errstr ? ac->errstr : "lost");
  self->ready_ = false;
  self->ac_ = nullptr;  // hiredis frees it after this callback
  if (self->connect_done_) self->fail_connect(reason);
  if (was_ready && !self->closing_ && self->on_disconnect_) {
    // Deliver outside hiredis's callback: the handler may reconnect or destroy us.
    auto cb = self->on_disconnect_;
    boost::asio::post(self->io_, [weak = self->weak_from_this(), cb, reason] {
      if (auto alive = weak.lock()) cb(reason);
    });
  }
}

void Connection::on_reply(redisAsyncContext*, void* reply, void* privdata) {
  auto* p = static_cast<Pending*>(privdata);
  if (!p) return;
  auto* r = static_cast<redisReply*>(reply);
  p->callback(r);
  // A subscription's callback ends with the connection (nullptr) or with the confirmation of
  // its UNSUBSCRIBE / PUNSUBSCRIBE, after which hiredis forgets it.
  bool ended = r == nullptr;
  if (p->persistent && r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
      r->element[0]->type == REDIS_REPLY_STRING) {
    std::string_view kind(r->element[0]->str, r->element[0]->len);
    ended = kind == "unsubscribe" || kind == "punsubscribe";
  }
  if (!p->persistent || ended) delete p;
}

bool Connection::send(std::span<const std::string_view> args, Callback callback) {
  if (!ac_ || !ready_ || closing_) return false;
  return send_command(args, std::move(callback), false);
}

bool Connection::send_command(std::span<const std::string_view> args, Callback callback,
                              bool persistent) {
  if (!ac_) return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* p = new Pending{std::move(callback), persistent};
  if (redisAsyncCommandArgv(ac_, &Connection::on_reply, p, static_cast<int>(argv.size()),
                            argv.data(), lens.data()) != REDIS_OK) {
    delete p;
    return false;
  }
  return true;
}

bool Connection::send_no_reply(std::span<const std::string_view> args) {
  if (!ac_ || !ready_ || closing_) return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return redisAsyncCommandArgv(ac_, nullptr, nullptr, static_cast<int>(argv.size()), argv.data(),
                               lens.data()) == REDIS_OK;
}

bool Connection::subscribe(bool pattern, std::string_view name, Callback callback) {
  if (!ac_ || !ready_ || closing_) return false;
  const std::string_view args[2] = {pattern ? "PSUBSCRIBE" : "SUBSCRIBE", name};
  return send_command(args, std::move(callback), true);
}

void Connection::pause_reading() {
  if (watcher_) watcher_->paused = true;
}

void Connection::resume_reading() {
  if (!watcher_ || !watcher_->paused) return;
  watcher_->paused = false;
  if (watcher_->want_read) watcher_->arm_read();
}

void Connection::close() {
  closing_ = true;
  ready_ = false;
  if (ac_) redisAsyncDisconnect(ac_);
}

Connection::ExecAwaiter Connection::exec(std::vector<std::string> args) {
  return ExecAwaiter(shared_from_this(), std::move(args));
}

bool Connection::ExecAwaiter::await_suspend(std::coroutine_handle<> h) {
  std::vector<std::string_view> views(args.begin(), args.end());
  auto& io = conn->io_;
  bool sent = conn->send(views, [this, h, &io](redisReply* r) {
    if (r) {
      result = Value::from(r);
    } else {
      lost = true;
    }
    // Resume outside hiredis's callback.
    boost::asio::post(io, [h] { h.resume(); });
  });
  if (!sent) lost = true;
  return sent;
}

Value Connection::ExecAwaiter::await_resume() {
  if (lost) throw std::runtime_error("redis connection '" + conn->name() + "' lost");
  return std::move(result);
}

}  // namespace faststream::redis
