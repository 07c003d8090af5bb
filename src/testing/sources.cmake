list(APPEND FASTSTREAM_SOURCES testing/test_broker.cpp)
