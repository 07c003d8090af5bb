# sources of src/codec (paths relative to src/)
list(APPEND FASTSTREAM_SOURCES
  codec/decode.cpp
  codec/encode.cpp
  codec/payload.cpp
  codec/rules.cpp
  codec/schema.cpp
  codec/tape.cpp
  codec/time.cpp)
