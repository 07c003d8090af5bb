#include <cstdlib>
#include <stdexcept>

#include "faststream/testing.hpp"

namespace faststream::testing {

std::string Call::error_message() const {
  return describe_exception(error);
}

std::size_t CallLog::count() const {
  std::lock_guard lock(mutex_);
  return calls_.size();
}
std::vector<Call> CallLog::all() const {
  std::lock_guard lock(mutex_);
  return calls_;
}
Call CallLog::last() const {
  std::lock_guard lock(mutex_);
  if (calls_.empty()) throw std::logic_error("no call was recorded");
  return calls_.back();
}
bool CallLog::wait_call(std::chrono::milliseconds timeout, std::size_t n) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
}
void CallLog::record(Call call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
  cv_.notify_all();
}
void CallLog::clear() {
  std::lock_guard lock(mutex_);
  calls_.clear();
}

Task<void> Recorder::on_consume(Context& ctx, ConsumeNext next) {
  const Message& m = ctx.message();
  Call call;
  call.subscriber = std::string(ctx.subscriber());
  call.destination = m.destination();
  call.body = std::string(m.body());
  call.content_type = m.content_type();
  call.correlation_id = m.correlation_id();
  call.headers = m.headers();
  call.path = m.path_params();
  call.batch_size = ctx.batch_messages() ? ctx.batch_messages()->size() : 1;
  std::exception_ptr error;
  try {
    co_await next();
  } catch (...) {
    error = std::current_exception();
  }
  call.error = error;
  log_->record(std::move(call));
  if (error) std::rethrow_exception(error);
}

bool real_broker_requested() {
  const char* value = std::getenv("FASTSTREAM_TEST_REAL");
  return value && std::string_view(value) == "1";
}

TestBrokerBase::TestBrokerBase(BrokerCore& core, std::unique_ptr<Transport> test_transport,
                               bool real)
    : core_(core), real_(real) {
  for (auto& s : core_.subscribers()) {
    // Subscribers of the same destination (competing consumers) share one log.
    auto& log = logs_[s->config().destination];
    if (!log) log = std::make_shared<CallLog>();
    auto& middlewares = s->mutable_config().middlewares;
    middlewares.insert(middlewares.begin(), std::make_shared<Recorder>(log));
  }
  if (!real_) saved_ = core_.replace_transport(std::move(test_transport));
  core_.start();
}

TestBrokerBase::~TestBrokerBase() {
  core_.stop();
  if (saved_) core_.replace_transport(std::move(saved_));
  for (auto& s : core_.subscribers()) {
    auto& middlewares = s->mutable_config().middlewares;
    std::erase_if(middlewares, [](const std::shared_ptr<Middleware>& m) {
      return dynamic_cast<Recorder*>(m.get()) != nullptr;
    });
  }
}

CallLog& TestBrokerBase::calls(std::string_view subscriber) {
  auto it = logs_.find(subscriber);
  if (it == logs_.end())
    throw std::invalid_argument("TestBroker: no subscriber '" + std::string(subscriber) + "'");
  return *it->second;
}

}  // namespace faststream::testing
