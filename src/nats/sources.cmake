# The NATS backend: its own library, faststream_nats (links nats.c; see src/CMakeLists.txt).
set(FASTSTREAM_NATS_SOURCES
  nats/url.cpp
  nats/envelope.cpp
  nats/routes.cpp
  nats/broker.cpp
  nats/testing.cpp)
