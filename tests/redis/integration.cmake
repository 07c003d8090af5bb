# Redis integration tests: a real redis-server per test executable (and per restart test),
# on a free port, stopped by pid. Names start with Redis and carry the label redis.
add_executable(faststream_redis_it redis_it.cpp)
target_link_libraries(faststream_redis_it PRIVATE faststream_redis faststream_test_support
                                                  PkgConfig::hiredis)
gtest_discover_tests(faststream_redis_it DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS "redis;integration" TIMEOUT 120)

# TestBroker for Redis in both modes: in memory, and against the real server (.real).
add_executable(faststream_redis_testbroker_it test_broker_it.cpp)
target_link_libraries(faststream_redis_testbroker_it PRIVATE faststream_redis
                                                              faststream_test_support
                                                              PkgConfig::hiredis)
gtest_discover_tests(faststream_redis_testbroker_it DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT FASTSTREAM_TEST_REAL=0 LABELS "redis;integration")
gtest_discover_tests(faststream_redis_testbroker_it DISCOVERY_TIMEOUT 60 TEST_SUFFIX ".real"
                     PROPERTIES ENVIRONMENT FASTSTREAM_TEST_REAL=1 LABELS "redis;integration")
