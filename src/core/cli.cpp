// The service's command line (App::main): run, docs gen, docs serve, publish, --version, --help.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "core/app_impl.hpp"
#include "core/http_server.hpp"
#include "core/supervisor.hpp"
#include "faststream/app.hpp"
#include "faststream/asyncapi.hpp"
#include "faststream/broker.hpp"
#include "faststream/exceptions.hpp"
#include "faststream/version.hpp"

namespace faststream {
namespace {

// A user-facing failure: printed as one line "error: ...", exit code 1.
struct CliError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --url, else $FASTSTREAM_URL, else the URL given in the code.
void apply_url(BrokerCore& broker, const std::string& flag) {
  std::string url = flag;
  if (url.empty())
    if (const char* env = std::getenv("FASTSTREAM_URL")) url = env;
  if (url.empty()) return;
  try {
    broker.transport().set_url(url);
  } catch (const std::invalid_argument& e) {
    throw CliError(fmt::format("bad broker URL: {} (pass --url or set FASTSTREAM_URL)", e.what()));
  }
}

void start_or_explain(BrokerCore& broker, bool publisher_only = false) {
  try {
    if (publisher_only) {
      broker.start_publisher();
    } else {
      broker.start();
    }
  } catch (const std::exception& e) {
    throw CliError(core::explain_start_failure(broker, e));
  }
}

// A usage problem found after parsing (a destination no subscriber reads, an ambiguous
// one): printed as one line, exit code 2.
struct CliUsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string describe_subscriber(const Transport& transport, const SubscriberCore& subscriber) {
  std::string kind = transport.source_kind(subscriber.config());
  return kind.empty() ? fmt::format("'{}'", subscriber.config().destination)
                      : fmt::format("'{}' ({})", subscriber.config().destination, kind);
}

std::string kind_flags(const std::vector<std::string>& kinds) {
  std::string out;
  for (std::size_t i = 0; i < kinds.size(); ++i)
    out += (i == 0 ? "--" : i + 1 == kinds.size() ? " or --" : ", --") + kinds[i];
  return out;
}

std::vector<std::string> kind_names(const std::vector<SourceKind>& kinds) {
  std::vector<std::string> names;
  for (const auto& k : kinds) names.push_back(k.name);
  return names;
}

// The routes `publish` sends through: every subscriber of one kind that `destination` reaches,
// or (with a kind chosen and no subscriber of it) the source of that kind by that name.
std::vector<SourceRoute> choose_routes(const BrokerCore& broker, const std::string& destination,
                                       const std::string& kind) {
  const Transport& transport = broker.transport();
  const auto kinds = kind_names(transport.source_kinds());
  if (!kind.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    throw CliUsageError(fmt::format(
        "--{} does not apply to a {} broker{}", kind, transport.protocol(),
        kinds.empty() ? "" : fmt::format(" (its kinds of source: {})", kind_flags(kinds))));
  auto routes = transport.routes_to(broker, destination);
  if (!kind.empty()) {
    std::erase_if(routes, [&](const SourceRoute& r) { return r.kind != kind; });
    if (routes.empty())
      routes.push_back({nullptr, kind, transport.target_of_kind(kind, destination)});
    return routes;
  }
  if (routes.empty()) {
    std::string known;
    for (const auto& s : broker.subscribers())
      known += (known.empty() ? "" : ", ") + describe_subscriber(transport, *s);
    throw CliUsageError(fmt::format(
        "no subscriber of this service reads '{}' (its subscribers: {}){}", destination,
        known.empty() ? "none" : known,
        kinds.empty() ? ""
                      : fmt::format("; to send there anyway, say which kind of source with {}",
                                    kind_flags(kinds))));
  }
  std::vector<std::string> found;
  for (const auto& r : routes)
    if (std::find(found.begin(), found.end(), r.kind) == found.end()) found.push_back(r.kind);
  if (found.size() > 1) {
    std::string candidates;
    for (const auto& r : routes)
      candidates +=
          (candidates.empty() ? "" : ", ") + describe_subscriber(transport, *r.subscriber);
    throw CliUsageError(
        fmt::format("'{}' reaches subscribers of different kinds: {}; choose one with {}",
                    destination, candidates, kind_flags(found)));
  }
  return routes;
}

// Checks a JSON body against the models of the subscribers that would receive it, so a typo is
// reported here rather than as a rejected message in the service's log.
void validate_for_routes(const BrokerCore& broker, const std::vector<SourceRoute>& routes,
                         const std::string& body) {
  try {
    (void)decode_json<RawJson>(body);
  } catch (const DecodeError& e) {
    throw CliError(fmt::format("the message is not valid JSON: {}", e.what()));
  }
  for (const auto& route : routes) {
    if (!route.subscriber) continue;
    const SubscriberCore& sub = *route.subscriber;
    std::string first_error;
    bool accepted = false;
    for (const auto& handler : sub.handlers()) {
      if (!handler.validate) {
        accepted = true;  // a handler without a message takes anything
        break;
      }
      DecodeOptions options = sub.config().decode;
      if (!options.max_message_size) options.max_message_size = broker.settings().max_message_size;
      try {
        handler.validate(body, "application/json", options);
        accepted = true;  // some handler accepts it
        break;
      } catch (const DecodeError& e) {
        if (first_error.empty()) first_error = e.what();
      }
    }
    if (!accepted && !first_error.empty())
      throw CliError(fmt::format("invalid message for subscriber '{}': {}",
                                 sub.config().destination, first_error));
  }
}

void wait_until_idle(const BrokerCore& broker, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int quiet_checks = 0;
  while (quiet_checks < 3 && std::chrono::steady_clock::now() < deadline) {
    bool idle = true;
    for (const auto& s : broker.subscribers()) {
      auto stats = s->stats();
      if (stats.queued != 0 || stats.in_flight != 0) idle = false;
    }
    quiet_checks = idle ? quiet_checks + 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

struct PublishArgs {
  std::string destination;
  std::string body;
  std::string kind;  // a --channel/--list/... flag, empty when none was given
  bool rpc = false;
  double timeout_seconds = 5;
};

int publish_command(BrokerCore& broker, const PublishArgs& args) {
  auto routes = choose_routes(broker, args.destination, args.kind);
  validate_for_routes(broker, routes, args.body);
  // Subscribers of an in-process broker run here, so the message is handled before we exit.
  // With a real broker they stay off: the running service consumes, not this process.
  const bool in_process = broker.transport().in_process();
  start_or_explain(broker, !in_process);
  int code = 0;
  const SourceRoute& route = routes.front();
  try {
    OutgoingMessage out;
    out.destination = route.target.destination;
    out.native = route.target.native;
    out.body = args.body;
    out.content_type = std::string(content_type_of<RawJson>());
    out.require_receiver = true;
    auto timeout = std::chrono::milliseconds(static_cast<long>(args.timeout_seconds * 1000));
    if (args.rpc) {
      Reply reply = broker.request(std::move(out), timeout).get();
      std::cout << reply.body() << std::endl;
    } else {
      out.timeout = timeout;
      broker.publish(std::move(out)).get();
    }
    // In-process handlers may publish on (a result to another subscriber): let the chain run
    // out before stopping, or the drain would refuse those messages.
    if (in_process) wait_until_idle(broker, timeout);
  } catch (const RequestTimeout& e) {
    std::cerr << "error: " << e.what() << " (raise --timeout, or check that a service consumes '"
              << args.destination << "')\n";
    code = 1;
  } catch (const NoResponders& e) {
    std::cerr << "error: " << e.what()
              << ": start the service that consumes it, or check the destination's name\n";
    code = 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    code = 1;
  }
  broker.stop();
  return code;
}

int docs_gen_command(BrokerCore& broker, const AppInfo& info, bool yaml, bool html,
                     const std::string& output, const std::string& version) {
  asyncapi::Options options;
  options.yaml = yaml;
  options.version = asyncapi::parse_version(version);
  if (html && !asyncapi::page_available())
    throw CliError("this build has no AsyncAPI page (configured with FASTSTREAM_DOCS_PAGE=OFF)");
  std::string document = html ? asyncapi::page(broker, info, options.version)
                              : asyncapi::generate(broker, info, options);
  if (output.empty() || output == "-") {
    std::cout << document;
    if (!document.empty() && document.back() != '\n') std::cout << '\n';
    return 0;
  }
  std::ofstream file(output);
  file << document;
  if (!document.empty() && document.back() != '\n') file << '\n';
  if (!file) throw CliError(fmt::format("cannot write '{}'", output));
  std::cerr << "wrote AsyncAPI " << version << (html ? " page" : "") << " to " << output << "\n";
  return 0;
}

int docs_serve_command(BrokerCore& broker, const AppInfo& info, const std::string& host,
                       std::uint16_t port, const std::string& version) {
  if (!asyncapi::page_available())
    throw CliError("this build has no AsyncAPI page (configured with FASTSTREAM_DOCS_PAGE=OFF)");
  auto routes =
      core::asyncapi_routes(broker, info, asyncapi::parse_version(version), {"/", "/index.html"});
  try {
    core::HttpServer server(std::move(routes), host, port);
    std::cerr << "serving the AsyncAPI " << version << " page of " << info.title << " at "
              << server.url() << " (document at " << server.url() << "asyncapi.json; Ctrl+C stops)"
              << std::endl;
    server.run_until_signal();
  } catch (const std::runtime_error& e) {
    throw CliError(e.what());
  }
  return 0;
}

}  // namespace

int App::main(int argc, char** argv) {
  const std::string program = argc > 0 ? argv[0] : "service";
  CLI::App cli{info_.title + " " + info_.version +
                   (info_.description.empty() ? "" : ": " + info_.description),
               program};
  cli.set_version_flag("--version", fmt::format("{} {} (faststream {})", info_.title, info_.version,
                                                faststream::version()));
  cli.require_subcommand(0, 1);

  std::string url, log_level, output, destination, body;
  std::string asyncapi_version = "3.0.0";
  double graceful = -1, timeout = 5;
  std::size_t workers = 1;
  bool yaml = false, html = false, rpc = false;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::optional<std::uint16_t> http_port;
  std::string http_host;

  auto* run_cmd = cli.add_subcommand("run", "Start the service (the default command)");
  run_cmd->add_option("--url", url,
                      "Broker URL (default: $FASTSTREAM_URL, else the one in the code)");
  run_cmd->add_option("--log-level", log_level,
                      "trace, debug, info, warning, error, critical or off");
  run_cmd
      ->add_option("--graceful-timeout", graceful,
                   "Seconds in-flight messages may take to finish on stop")
      ->check(CLI::NonNegativeNumber);
  run_cmd
      ->add_option("-w,--workers", workers,
                   "Run N processes of the service; a supervisor restarts crashed ones and "
                   "forwards SIGINT/SIGTERM")
      ->check(CLI::Range(1, 256));
  run_cmd->add_option("--http-port", http_port,
                      "Serve /health/live, /health/ready, /metrics and /asyncapi on this port "
                      "(0: a free one; the log says which)");
  run_cmd->add_option("--http-host", http_host,
                      "Address of the HTTP side door (default 127.0.0.1; 0.0.0.0 in containers)");

  auto* docs = cli.add_subcommand("docs", "The service's AsyncAPI documentation");
  docs->require_subcommand(1);
  auto* gen = docs->add_subcommand("gen", "Write the AsyncAPI document (never connects)");
  gen->add_flag("--yaml", yaml, "YAML instead of JSON");
  gen->add_flag("--html", html, "A self-contained HTML page rendering the document (works offline)")
      ->excludes("--yaml");
  gen->add_option("-o,--output", output, "File to write (default: standard output)");
  gen->add_option("--asyncapi-version", asyncapi_version, "3.0.0 (default) or 2.6.0")
      ->check(CLI::IsMember({"3.0.0", "2.6.0"}));
  auto* serve = docs->add_subcommand(
      "serve", "Serve the AsyncAPI page over HTTP until Ctrl+C (never connects to the broker)");
  serve->add_option("--host", host, "Address to listen on (default 127.0.0.1)");
  serve->add_option("--port", port, "Port to listen on (default 8000; 0 picks a free one)");
  serve->add_option("--asyncapi-version", asyncapi_version, "3.0.0 (default) or 2.6.0")
      ->check(CLI::IsMember({"3.0.0", "2.6.0"}));

  auto* publish = cli.add_subcommand(
      "publish",
      "Send one message to the source a subscriber of this service reads (a Redis list gets "
      "RPUSH, a stream XADD, a JetStream subject a publish that waits for the stream's ack). "
      "Fails when the broker shows that nobody received it. An in-process broker runs the "
      "app's subscribers first; with a real broker only the running service consumes.");
  publish
      ->add_option("destination", destination,
                   "A name a subscriber reads (channel, list, stream, subject, ...)")
      ->required();
  publish->add_option("message", body, "The message as JSON, e.g. '{\"id\": \"A-1\"}'")->required();
  publish->add_flag("--rpc", rpc, "Wait for the reply and print it");
  publish->add_option("--timeout", timeout, "Seconds to wait (reply or backpressure)")
      ->check(CLI::PositiveNumber);
  publish->add_option("--url", url, "Broker URL (default: $FASTSTREAM_URL, else the code's)");
  publish->add_option("--log-level", log_level,
                      "Log level while publishing (default: warning; the result is printed)");
  // One flag per kind of source the broker has: a name may mean several (a Redis list and a
  // channel), and the subscribers decide unless a flag does.
  std::vector<std::string> kinds_given;
  for (const auto& k : broker_->transport().source_kinds()) {
    publish->add_flag_callback(
        "--" + k.name, [&kinds_given, name = k.name] { kinds_given.push_back(name); }, k.help);
  }

  // Set last: subcommands copy their parent's footer when they are added.
  cli.footer("Without a command, runs the service (same as `run`).");

  // `service --url X` without a command means `service run --url X`.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i]);
  if (!args.empty()) {
    const std::string& first = args.back();
    bool known = first == "run" || first == "docs" || first == "publish" || first == "--help" ||
                 first == "-h" || first == "--version";
    if (!known && first.starts_with("-")) args.push_back("run");
  }
  try {
    cli.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": error: " << e.what() << " (see --help)\n";
    return 2;
  }

  try {
    apply_url(*broker_, url);  // docs gen: only for the servers section, never connects
    if (*gen) return docs_gen_command(*broker_, info_, yaml, html, output, asyncapi_version);
    if (*serve) return docs_serve_command(*broker_, info_, host, port, asyncapi_version);
    if (*publish) {
      if (kinds_given.size() > 1)
        throw CliUsageError(
            fmt::format("choose one kind of source, not {}", kind_flags(kinds_given)));
      auto& settings = broker_->mutable_settings();
      // A one-shot command prints its result; the broker's own lines only when asked.
      try {
        settings.log_level = log_level.empty() ? LogLevel::warning : parse_log_level(log_level);
      } catch (const std::invalid_argument& e) {
        throw CliUsageError(e.what());
      }
      return publish_command(
          *broker_,
          {destination, body, kinds_given.empty() ? "" : kinds_given.front(), rpc, timeout});
    }

    auto& settings = broker_->mutable_settings();
    if (!log_level.empty()) {
      try {
        settings.log_level = parse_log_level(log_level);
      } catch (const std::invalid_argument& e) {
        throw CliError(e.what());
      }
    }
    if (graceful >= 0)
      settings.graceful_timeout = std::chrono::milliseconds(static_cast<long>(graceful * 1000));
    if (http_port || !http_host.empty()) {
      HttpOptions http = impl_->http.value_or(HttpOptions{});
      if (http_port) http.port = *http_port;
      if (!http_host.empty()) http.host = http_host;
      serve_http(std::move(http));
    }
    if (workers > 1 && impl_->http)
      throw CliError(
          "the HTTP side door cannot be combined with --workers N > 1 (each worker would need a "
          "port of its own); run one worker per container instead");
    if (workers > 1) {
      broker_->logger().set_level(settings.log_level);
      return core::supervise(
          workers, [this] { return this->run(); }, broker_->logger());
    }
    return this->run();
  } catch (const CliError& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 1;
  } catch (const CliUsageError& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace faststream
