# The Redis backend: its own library, faststream_redis (links hiredis; see src/CMakeLists.txt).
set(FASTSTREAM_REDIS_SOURCES
  redis/envelope.cpp
  redis/url.cpp
  redis/channel_pattern.cpp
  redis/routes.cpp
  redis/connection.cpp
  redis/broker.cpp
  redis/testing.cpp)
