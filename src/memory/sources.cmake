list(APPEND FASTSTREAM_SOURCES
  memory/routing.cpp
  memory/broker.cpp)
