# Redis integration tests: the run's shared redis-server (fixture server.redis), and one of
# their own for tests that stop or reconfigure it;
# free ports, stopped by pid. Names start with Redis and carry the label redis.
add_executable(faststream_redis_it redis_it.cpp)
target_link_libraries(faststream_redis_it PRIVATE faststream_redis faststream_test_support
                                                  PkgConfig::hiredis)
faststream_add_gtests(faststream_redis_it LABELS redis integration FIXTURES server.redis)

# TestBroker for Redis in both modes: in memory, and against the real server (.real).
add_executable(faststream_redis_testbroker_it test_broker_it.cpp)
target_link_libraries(faststream_redis_testbroker_it PRIVATE faststream_redis
                                                              faststream_test_support
                                                              PkgConfig::hiredis)
faststream_add_gtests(faststream_redis_testbroker_it ENVIRONMENT FASTSTREAM_TEST_REAL=0
                      LABELS redis integration)
faststream_add_gtests(faststream_redis_testbroker_it SUFFIX .real
                      ENVIRONMENT FASTSTREAM_TEST_REAL=1 LABELS redis integration
                      FIXTURES server.redis)
