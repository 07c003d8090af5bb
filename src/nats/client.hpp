#pragma once
// Thin helpers over nats.c: errors as exceptions with nats.c's own text, and owners for its
// objects. Private to src/nats.
#include <nats/nats.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace faststream::nats {

// nats.c's description of the last error on this thread (more precise than the status).
inline std::string status_text(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  std::string text = natsStatus_GetText(s);
  if (detail && *detail && last == s && text != detail) text += std::string(": ") + detail;
  return text;
}

// Throws `E` with "<what>: <nats.c text>" unless `s` is NATS_OK.
template <class E = std::runtime_error>
void check(natsStatus s, std::string_view what) {
  if (s != NATS_OK) throw E(std::string(what) + ": " + status_text(s));
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const noexcept { natsOptions_Destroy(o); }
};
struct ConnectionDeleter {
  void operator()(natsConnection* c) const noexcept {
    natsConnection_Close(c);
    natsConnection_Destroy(c);
  }
};
struct SubscriptionDeleter {
  void operator()(natsSubscription* s) const noexcept { natsSubscription_Destroy(s); }
};
struct JetStreamDeleter {
  void operator()(jsCtx* js) const noexcept { jsCtx_Destroy(js); }
};
struct MsgDeleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using OptionsPtr = std::unique_ptr<natsOptions, OptionsDeleter>;
using ConnectionPtr = std::unique_ptr<natsConnection, ConnectionDeleter>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDeleter>;
using JetStreamPtr = std::unique_ptr<jsCtx, JetStreamDeleter>;
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

}  // namespace faststream::nats
