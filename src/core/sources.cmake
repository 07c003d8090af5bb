list(APPEND FASTSTREAM_SOURCES
  core/task.cpp
  core/runtime.cpp
  core/message.cpp
  core/logging.cpp
  core/subscriber.cpp
  core/broker_core.cpp
  core/middleware.cpp
  core/app.cpp
  core/handler.cpp
  core/version.cpp
  core/cli.cpp
  core/supervisor.cpp
  core/replies.cpp
  core/background.cpp
  core/url_text.cpp
  core/http_server.cpp
  core/metrics.cpp)
