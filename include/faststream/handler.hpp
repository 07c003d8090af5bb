#pragma once
// Handlers and dependency injection by signature.
//
// The first parameter that is not an injectable type is the decoded message (a model, any
// JSON-codable type, std::string for text/plain, Bytes, RawJson, or std::vector<T> on a batch
// subscriber). Every other parameter is resolved by its type:
//   Context&, Logger&, Message& (or the backend's message type), Batch& (batch subscribers),
//   Path<"name"> / Path<"name", T> (from `{name}` in the destination),
//   Depends<T> (registered with app.provide / broker.provide).
// Anything else is a compile error whose first line is a static_assert naming the type.
#include <charconv>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

#include "faststream/codec.hpp"
#include "faststream/context.hpp"
#include "faststream/detail/dependencies.hpp"
#include "faststream/detail/fixed_string.hpp"
#include "faststream/exceptions.hpp"
#include "faststream/message.hpp"
#include "faststream/middleware.hpp"
#include "faststream/task.hpp"

namespace faststream {

// A value captured from the destination by a `{Name}` placeholder, converted to T
// (std::string, an integer type, double, or bool).
template <detail::FixedString Name, class T = std::string>
struct Path {
  static constexpr std::string_view name = Name.view();
  T value{};
  const T& operator*() const noexcept { return value; }
  const T* operator->() const noexcept { return &value; }
  operator const T&() const noexcept { return value; }  // NOLINT: reads like the value
};

// A user dependency registered on the app or broker (a shared instance or a per-message
// factory). Dereference it like a pointer.
template <class T>
class Depends {
 public:
  explicit Depends(std::shared_ptr<T> value) noexcept : value_(std::move(value)) {}
  T& operator*() const noexcept { return *value_; }
  T* operator->() const noexcept { return value_.get(); }
  T& get() const noexcept { return *value_; }

 private:
  std::shared_ptr<T> value_;
};

// The messages of a batch, in order; a handler reports a partial failure per message with
// fail(i): those are settled as failures (per the ack policy), the others are acked.
class Batch {
 public:
  explicit Batch(std::vector<Message*> messages)
      : messages_(std::move(messages)), failed_(messages_.size(), false) {}
  std::size_t size() const noexcept { return messages_.size(); }
  Message& message(std::size_t i) { return *messages_.at(i); }
  void fail(std::size_t i, std::string reason) {
    failed_.at(i) = true;
    reasons_.emplace_back(i, std::move(reason));
  }
  bool failed(std::size_t i) const { return failed_.at(i); }
  const std::vector<std::pair<std::size_t, std::string>>& failures() const noexcept {
    return reasons_;
  }

 private:
  std::vector<Message*> messages_;
  std::vector<bool> failed_;
  std::vector<std::pair<std::size_t, std::string>> reasons_;
};

// Per-handler options: a filter (first matching handler of a subscriber wins; the one without
// a filter is the default) and publishers its result goes to besides reply-to.
struct HandlerOptions {
  std::function<bool(const Message&)> filter;
  std::vector<PublisherTarget> publishes_to;
  std::string description;
};

namespace detail {

template <class T>
inline constexpr bool dependent_false = false;

// --- Callable introspection -----------------------------------------------------------------
template <class F>
struct callable_traits : callable_traits<decltype(&std::remove_cvref_t<F>::operator())> {};
template <class R, class... A>
struct callable_traits<R (*)(A...)> {
  using result = R;
  using args = std::tuple<A...>;
};
template <class R, class... A>
struct callable_traits<R (*)(A...) noexcept> : callable_traits<R (*)(A...)> {};
template <class R, class... A>
struct callable_traits<R(A...)> : callable_traits<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...)> : callable_traits<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const> : callable_traits<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) noexcept> : callable_traits<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const noexcept> : callable_traits<R (*)(A...)> {};

// --- Parameter classification ---------------------------------------------------------------
template <class T>
struct is_path : std::false_type {};
template <FixedString N, class T>
struct is_path<Path<N, T>> : std::true_type {};
template <class T>
struct is_depends : std::false_type {};
template <class T>
struct is_depends<Depends<T>> : std::true_type {};
template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {
  using element = T;
};

template <class P, class MessageT>
inline constexpr bool is_injectable_v =
    std::is_same_v<std::remove_cvref_t<P>, Context> ||
    std::is_same_v<std::remove_cvref_t<P>, Logger> ||
    std::is_same_v<std::remove_cvref_t<P>, Batch> ||
    std::is_base_of_v<std::remove_cvref_t<P>, MessageT> ||
    std::is_same_v<std::remove_cvref_t<P>, Message> || is_path<std::remove_cvref_t<P>>::value ||
    is_depends<std::remove_cvref_t<P>>::value;

// Instantiated only for a parameter the framework cannot provide: the compiler names the
// type in "In instantiation of 'struct ...handler_parameter_cannot_be_injected<TYPE>'" right
// above this assertion.
template <class P>
struct handler_parameter_cannot_be_injected {
  static_assert(dependent_false<P>,
                "faststream: a handler parameter cannot be injected. After the message (first "
                "parameter), use Context&, Logger&, Message& (or the broker's message type), "
                "Batch&, Path<\"name\">, or Depends<T> for your own dependencies.");
  static constexpr bool value = false;
};
template <class P>
struct handler_message_type_cannot_be_decoded {
  static_assert(dependent_false<P>,
                "faststream: the handler's message parameter has a type that cannot be "
                "decoded. Declare structs with FASTSTREAM_MODEL(Type, fields...), or use "
                "std::string, faststream::Bytes, faststream::RawJson or a JSON-codable type.");
  static constexpr bool value = false;
};
template <class R>
struct handler_result_type_cannot_be_encoded {
  static_assert(dependent_false<R>,
                "faststream: the handler's return type cannot be encoded. Return void, a "
                "FASTSTREAM_MODEL type, a JSON-codable type, std::string, Bytes, "
                "std::optional of those, or faststream::Task<...> of those.");
  static constexpr bool value = false;
};

// Index of the message parameter (the first non-injectable one), or -1.
template <class MessageT, class Tuple, std::size_t I = 0>
constexpr int message_index() {
  if constexpr (I == std::tuple_size_v<Tuple>) {
    return -1;
  } else if constexpr (!is_injectable_v<std::tuple_element_t<I, Tuple>, MessageT>) {
    return static_cast<int>(I);
  } else {
    return message_index<MessageT, Tuple, I + 1>();
  }
}

template <class MessageT, class Tuple, std::size_t... I>
constexpr bool check_parameters(std::index_sequence<I...>) {
  constexpr int mi = message_index<MessageT, Tuple>();
  bool ok = true;
  (
      [&] {
        using P = std::tuple_element_t<I, Tuple>;
        if constexpr (static_cast<int>(I) != mi && !is_injectable_v<P, MessageT>) {
          ok = ok && handler_parameter_cannot_be_injected<P>::value;
        }
      }(),
      ...);
  return ok;
}

// --- Result classification ------------------------------------------------------------------
template <class R>
struct unwrap_task {
  using type = R;
  static constexpr bool coroutine = false;
};
template <class T>
struct unwrap_task<Task<T>> {
  using type = T;
  static constexpr bool coroutine = true;
};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {
  using inner = T;
};

template <class V>
constexpr bool result_encodable() {
  if constexpr (std::is_void_v<V>) {
    return true;
  } else if constexpr (is_optional<V>::value) {
    return Payload<typename is_optional<V>::inner>;
  } else {
    return Payload<V>;
  }
}

// Encodes a handler's value into the pending result of the context.
template <class V>
void store_result(Context& ctx, V&& value) {
  using D = std::remove_cvref_t<V>;
  if constexpr (is_optional<D>::value) {
    if (value) store_result(ctx, *std::forward<V>(value));
  } else {
    OutgoingMessage out;
    encode_payload(value, out.body);
    out.content_type = std::string(content_type_of<D>());
    ctx.result() = std::move(out);
  }
}

// What the pipeline needs from a typed handler, with the types erased.
struct InvokeState {
  Context* ctx;
  Message* message;                        // single-message handlers
  std::vector<Message*>* batch = nullptr;  // batch handlers: the messages that decoded
  Batch* batch_view = nullptr;
  const DecodeOptions* decode_options;
  DependencyRegistry* dependencies;
};

// Converts a captured path value to T; throws DecodeError-like std::invalid_argument.
std::string_view require_path_param(const Message& message, std::string_view name);
template <class T>
T convert_path_param(std::string_view text, std::string_view name);

template <class P, class MessageT>
decltype(auto) resolve_injected(InvokeState& s) {
  using D = std::remove_cvref_t<P>;
  if constexpr (std::is_same_v<D, Context>) {
    return (*s.ctx);
  } else if constexpr (std::is_same_v<D, Logger>) {
    return (s.ctx->logger());
  } else if constexpr (std::is_same_v<D, Batch>) {
    return (*s.batch_view);
  } else if constexpr (std::is_same_v<D, Message>) {
    return (*s.message);
  } else if constexpr (std::is_base_of_v<D, MessageT>) {
    return static_cast<D&>(*s.message);
  } else if constexpr (is_path<D>::value) {
    using V = decltype(D::value);
    return D{convert_path_param<V>(require_path_param(*s.message, D::name), D::name)};
  } else if constexpr (is_depends<D>::value) {
    return D{s.dependencies
                 ->template resolve<typename std::remove_cvref_t<decltype(*std::declval<D>())>>()};
  } else {
    static_assert(handler_parameter_cannot_be_injected<P>::value);
    return *static_cast<std::remove_reference_t<P>*>(nullptr);
  }
}

template <class Decoded, bool IsBatch>
struct DecodedHolder;

template <class Decoded>
struct DecodedHolder<Decoded, false> {
  Decoded value;
  explicit DecodedHolder(InvokeState& s)
      : value(decode_payload<Decoded>(s.message->body(), s.message->content_type(),
                                      *s.decode_options)) {}
};

// Batch: the pipeline has already decoded-and-filtered per message (so a bad one fails
// alone); here the survivors are decoded again into the vector in order.
template <class Decoded>
struct DecodedHolder<Decoded, true> {
  Decoded value;
  explicit DecodedHolder(InvokeState& s) {
    using E = typename is_std_vector<Decoded>::element;
    value.reserve(s.batch->size());
    for (Message* m : *s.batch)
      value.push_back(decode_payload<E>(m->body(), m->content_type(), *s.decode_options));
  }
};

}  // namespace detail

// Everything the core needs to run and document a handler.
struct HandlerSpec {
  HandlerOptions options;
  bool coroutine = false;
  bool batch = false;  // set by the subscriber: batch subscribers call invoke_batch
  // Decodes (if needed), injects, calls, stores the result in ctx.result().
  std::function<Task<void>(detail::InvokeState&)> invoke;
  // Only for a first parameter std::vector<T>: the batch form (one T per message).
  std::function<Task<void>(detail::InvokeState&)> invoke_batch;
  // Batch form: checks that one message decodes as T (so a bad one fails alone).
  std::function<void(const Message&, const DecodeOptions&)> validate_one;
  // Checks that a body decodes as this handler's message (throws DecodeError); empty when
  // the handler takes no message. Used by the CLI's publish before sending.
  std::function<void(std::string_view body, std::string_view content_type, const DecodeOptions&)>
      validate;
  // For docs (AsyncAPI) and logs: the payload of one message.
  std::string payload_name;  // model name, "string", "bytes" or "json"
  std::function<std::string(SchemaRegistry&)> payload_schema;
  std::string batch_payload_name;
  std::function<std::string(SchemaRegistry&)> batch_payload_schema;
  std::function<std::string(SchemaRegistry&)> result_schema;  // empty: returns nothing
  std::string result_content_type;                            // of the result, when any
  std::vector<std::type_index> dependencies;
  std::vector<std::string> path_params;
};

namespace detail {

// Stands in for the decoded message of handlers that take none.
struct NoMessage {
  int value = 0;
};

// The decayed type of the message parameter, or void when the handler takes none.
template <class MessageT, class Args, int MI = message_index<MessageT, Args>()>
struct message_param {
  using type = void;
};
template <class MessageT, class Args, int MI>
requires(MI >= 0) struct message_param<MessageT, Args, MI> {
  using type = std::remove_cvref_t<std::tuple_element_t<MI, Args>>;
};

template <class MessageT, class F, class Args, bool IsBatch, std::size_t... I>
Task<void> call_handler(std::shared_ptr<F> fn, InvokeState& s, std::index_sequence<I...>) {
  using R = typename callable_traits<F>::result;
  constexpr int mi = message_index<MessageT, Args>();
  using Decoded = typename message_param<MessageT, Args>::type;
  constexpr bool is_batch = IsBatch;
  using Holder = std::conditional_t<
      std::is_void_v<Decoded>, NoMessage,
      DecodedHolder<std::conditional_t<std::is_void_v<Decoded>, int, Decoded>, is_batch>>;
  // Decoded before the call; handlers without a message parameter skip decoding.
  std::optional<Holder> decoded;
  if constexpr (!std::is_void_v<Decoded>) decoded.emplace(s);

  auto arg = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) -> decltype(auto) {
    using P = std::tuple_element_t<K, Args>;
    if constexpr (static_cast<int>(K) == mi) {
      if constexpr (!std::is_lvalue_reference_v<P>)
        return std::move(decoded->value);
      else
        return (decoded->value);
    } else {
      return resolve_injected<P, MessageT>(s);
    }
  };

  using U = unwrap_task<R>;
  if constexpr (U::coroutine) {
    // Create the task in its own statement, then await it: g++ 12 mishandles temporaries
    // of a call expression inside co_await.
    R task = (*fn)(arg(std::integral_constant<std::size_t, I>{})...);
    if constexpr (std::is_void_v<typename U::type>) {
      co_await std::move(task);
    } else {
      auto value = co_await std::move(task);
      store_result(*s.ctx, std::move(value));
    }
  } else {
    if constexpr (std::is_void_v<R>) {
      (*fn)(arg(std::integral_constant<std::size_t, I>{})...);
    } else {
      store_result(*s.ctx, (*fn)(arg(std::integral_constant<std::size_t, I>{})...));
    }
  }
}

// The JSON Schema of a payload type (raw bytes have no JSON form: a binary string).
template <class T>
std::string payload_schema(SchemaRegistry& registry) {
  if constexpr (std::is_same_v<T, Bytes>) {
    (void)registry;
    return R"({"type":"string","format":"binary"})";
  } else {
    return json_schema_of<T>(registry);
  }
}

template <class T>
std::string payload_type_name() {
  if constexpr (Model<T>) {
    return std::string(faststream_model_name(model_tag<T>{}));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return "bytes";
  } else {
    return "json";
  }
}

template <class P>
void collect_dependency(std::vector<std::type_index>& deps, std::vector<std::string>& paths) {
  using D = std::remove_cvref_t<P>;
  if constexpr (is_depends<D>::value) {
    deps.emplace_back(typeid(std::remove_cvref_t<decltype(*std::declval<D>())>));
  } else if constexpr (is_path<D>::value) {
    paths.emplace_back(D::name);
  }
}

}  // namespace detail

// Builds the type-erased spec of a handler for a subscriber whose native message is MessageT.
template <class MessageT, class F>
HandlerSpec make_handler(F fn, HandlerOptions options) {
  using traits = detail::callable_traits<F>;
  using Args = typename traits::args;
  using R = typename traits::result;
  using U = detail::unwrap_task<R>;
  constexpr std::size_t N = std::tuple_size_v<Args>;
  using M = typename detail::message_param<MessageT, Args>::type;
  static_assert(detail::check_parameters<MessageT, Args>(std::make_index_sequence<N>{}));
  if constexpr (!std::is_void_v<M>) {
    if constexpr (!Payload<M>)
      static_assert(detail::handler_message_type_cannot_be_decoded<M>::value);
  }
  if constexpr (!detail::result_encodable<typename U::type>()) {
    static_assert(detail::handler_result_type_cannot_be_encoded<R>::value);
  }

  HandlerSpec spec;
  spec.options = std::move(options);
  spec.coroutine = U::coroutine;
  auto shared = std::make_shared<F>(std::move(fn));
  spec.invoke = [shared](detail::InvokeState& s) -> Task<void> {
    return detail::call_handler<MessageT, F, Args, false>(shared, s, std::make_index_sequence<N>{});
  };
  if constexpr (detail::is_std_vector<M>::value) {
    using E = typename detail::is_std_vector<M>::element;
    spec.invoke_batch = [shared](detail::InvokeState& s) -> Task<void> {
      return detail::call_handler<MessageT, F, Args, true>(shared, s,
                                                           std::make_index_sequence<N>{});
    };
    spec.validate_one = [](const Message& m, const DecodeOptions& o) {
      (void)decode_payload<E>(m.body(), m.content_type(), o);
    };
    spec.batch_payload_name = detail::payload_type_name<E>();
    spec.batch_payload_schema = [](SchemaRegistry& r) { return detail::payload_schema<E>(r); };
  }
  if constexpr (!std::is_void_v<M>) {
    spec.validate = [](std::string_view body, std::string_view content_type,
                       const DecodeOptions& o) { (void)decode_payload<M>(body, content_type, o); };
    spec.payload_name = detail::payload_type_name<M>();
    spec.payload_schema = [](SchemaRegistry& r) { return detail::payload_schema<M>(r); };
  }
  using V = typename U::type;
  if constexpr (detail::is_optional<V>::value) {
    spec.result_content_type = content_type_of<typename detail::is_optional<V>::inner>();
    spec.result_schema = [](SchemaRegistry& r) {
      return detail::payload_schema<typename detail::is_optional<V>::inner>(r);
    };
  } else if constexpr (!std::is_void_v<V>) {
    spec.result_content_type = content_type_of<V>();
    spec.result_schema = [](SchemaRegistry& r) { return detail::payload_schema<V>(r); };
  }
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (detail::collect_dependency<std::tuple_element_t<I, Args>>(spec.dependencies, spec.path_params),
     ...);
  }
  (std::make_index_sequence<N>{});
  return spec;
}

template <class T>
void set_reply(Context& ctx, const T& value) {
  detail::store_result(ctx, value);
}

template <class F, class E>
void ExceptionMiddleware::invoke_mapper(F& fn, const E& error, Context& ctx) {
  auto call = [&]() -> decltype(auto) {
    if constexpr (std::is_invocable_v<F&, const E&, Context&>)
      return fn(error, ctx);
    else
      return fn(error);
  };
  using R = decltype(call());
  if constexpr (std::is_void_v<R>) {
    call();
  } else {
    detail::store_result(ctx, call());
  }
}

namespace detail {
[[noreturn]] void throw_bad_path_param(std::string_view name, std::string_view text,
                                       std::string_view expected);

template <class T>
T convert_path_param(std::string_view text, std::string_view name) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string(text);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    throw_bad_path_param(name, text, "a boolean");
  } else if constexpr (std::is_integral_v<T> || std::is_floating_point_v<T>) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
      throw_bad_path_param(name, text, std::is_integral_v<T> ? "an integer" : "a number");
    return value;
  } else {
    static_assert(dependent_false<T>,
                  "faststream: Path<name, T> supports std::string, bool, "
                  "integers and floating-point types");
  }
}
}  // namespace detail

}  // namespace faststream
