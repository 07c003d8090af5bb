list(APPEND FASTSTREAM_SOURCES
  memory/broker.cpp)
