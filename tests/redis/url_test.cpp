// Redis connection URLs (src/redis/url.hpp).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "redis/url.hpp"

namespace {

using faststream::redis::parse_url;
using faststream::redis::Url;

std::string error_of(std::string_view url) {
  try {
    (void)parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RedisUrl, Defaults) {
  const Url u = parse_url("redis://localhost");
  EXPECT_EQ(u, Url{});
  EXPECT_EQ(parse_url("redis://"), Url{});
  EXPECT_EQ(parse_url("redis:///"), Url{});
  EXPECT_EQ(parse_url("redis://localhost:6379/0"), Url{});
  EXPECT_EQ(u.redacted(), "redis://localhost:6379/0");
  EXPECT_EQ(u.public_host(), "localhost:6379");
}

TEST(RedisUrl, HostPortDb) {
  const Url u = parse_url("redis://cache.internal:6380/12");
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 12);
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(parse_url("redis://10.0.0.7").host, "10.0.0.7");
  EXPECT_EQ(parse_url("redis://:7000").host, "localhost");
  EXPECT_EQ(parse_url("redis://:7000").port, 7000);
  EXPECT_EQ(parse_url("redis:///3").db, 3);
  EXPECT_EQ(parse_url("redis://h/99").db, 99);  // Redis allows more than 16 by config
  EXPECT_EQ(parse_url("redis://h:65535").port, 65535);
  EXPECT_EQ(parse_url("REDIS://h").host, "h");
}

TEST(RedisUrl, UserAndPassword) {
  Url u = parse_url("redis://alice:s3cret@h:1/2");
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "s3cret");
  EXPECT_EQ(u.redacted(), "redis://alice:***@h:1/2");

  u = parse_url("redis://:only-pass@h");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "only-pass");
  EXPECT_EQ(u.redacted(), "redis://:***@h:6379/0");

  u = parse_url("redis://bob@h");
  EXPECT_EQ(u.user, "bob");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.redacted(), "redis://bob@h:6379/0");

  u = parse_url("redis://bob:@h");
  EXPECT_EQ(u.user, "bob");
  EXPECT_EQ(u.password, "");
}

TEST(RedisUrl, PercentDecodingOfUserinfo) {
  const Url u = parse_url("redis://us%40er:p%3Aa%2Fs%25s%20@h");
  EXPECT_EQ(u.user, "us@er");
  EXPECT_EQ(u.password, "p:a/s%s ");
  EXPECT_EQ(u.redacted(), "redis://us%40er:***@h:6379/0");
}

TEST(RedisUrl, UnencodedDelimitersInThePassword) {
  // The userinfo ends at the last '@'; the password may hold ':' '@' '/' unencoded.
  const Url u = parse_url("redis://user:p@ss:w/rd@host:6390/1");
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password, "p@ss:w/rd");
  EXPECT_EQ(u.host, "host");
  EXPECT_EQ(u.port, 6390);
  EXPECT_EQ(u.db, 1);
}

TEST(RedisUrl, Tls) {
  const Url u = parse_url("rediss://user:pw@secure.example:6380");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.redacted(), "rediss://user:***@secure.example:6380/0");
}

TEST(RedisUrl, Ipv6) {
  Url u = parse_url("redis://[::1]:6379/4");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.db, 4);
  EXPECT_EQ(u.public_host(), "[::1]:6379");
  EXPECT_EQ(u.redacted(), "redis://[::1]:6379/4");
  u = parse_url("redis://[2001:db8::7]");
  EXPECT_EQ(u.host, "2001:db8::7");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(parse_url("redis://[fe80::1%25eth0]:1").host, "fe80::1%eth0");  // RFC 6874 zone
}

TEST(RedisUrl, Errors) {
  const std::string form = "expected redis://[[user]:password@]host[:port][/db]";
  for (std::string_view bad : {"localhost:6379", "http://h",        "unix:///tmp/redis.sock",
                               "redis://h:0",    "redis://h:65536", "redis://h:",
                               "redis://h:port", "redis://h:-1",    "redis://h/x",
                               "redis://h/-1",   "redis://h/1/2",   "redis://h/99999999999",
                               "redis://h?db=1", "redis://h#f",     "redis://::1:6379",
                               "redis://[::1",   "redis://[::1]x",  "redis://[zz]:1",
                               "redis://h h",    "redis://ho[st"}) {
    const std::string e = error_of(bad);
    EXPECT_NE(e.find(form), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("invalid Redis URL"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(error_of("redis://h:abc").find("the port must be a number from 1 to 65535"),
            std::string::npos);
  EXPECT_NE(error_of("redis://::1").find("IPv6 addresses must be in brackets"), std::string::npos);
  EXPECT_NE(error_of("unix:///s").find("unix sockets are not supported"), std::string::npos);
}

TEST(RedisUrl, ErrorsNeverShowThePassword) {
  for (std::string_view bad :
       {"redis://user:hunter2@h:abc", "redis://user:hunter2@h:/", "redis://:hunter2@h/x",
        "redis://u:hunter2%zz@h", "redis://u:hunter2%4@h", "redis://us%zz:hunter2@h",
        "http://user:hunter2@h", "user:hunter2@h:6379", "redis://u:hunter2@[::1",
        "redis://u:hunt@er2@h:0"}) {
    const std::string e = error_of(bad);
    EXPECT_NE(e, "(no error)") << bad;
    EXPECT_EQ(e.find("hunter2"), std::string::npos) << bad << ": " << e;
    EXPECT_EQ(e.find("hunt"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(error_of("redis://u:hunter2%zz@h").find("malformed percent-encoding in the password"),
            std::string::npos);
  EXPECT_NE(error_of("redis://user:hunter2@h:abc").find("'redis://***@h:abc'"), std::string::npos);
}

}  // namespace
