// NATS connection URLs (src/nats/url.hpp).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "nats/url.hpp"

namespace {

using faststream::nats::parse_url;
using faststream::nats::ServerAddress;
using faststream::nats::Url;

std::string error_of(std::string_view url) {
  try {
    (void)parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> strings(std::initializer_list<const char*> list) {
  return {list.begin(), list.end()};
}

TEST(NatsUrl, Defaults) {
  const Url u = parse_url("nats://localhost");
  ASSERT_EQ(u.servers.size(), 1u);
  EXPECT_EQ(u.servers[0], (ServerAddress{"localhost", 4222, false}));
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.token, "");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(parse_url("nats://"), u);
  EXPECT_EQ(parse_url("nats:///"), u);
  EXPECT_EQ(parse_url("nats://localhost:4222/"), u);
  EXPECT_EQ(parse_url("NATS://localhost"), u);
  EXPECT_EQ(u.redacted(), "nats://localhost:4222");
  EXPECT_EQ(u.public_hosts(), "localhost:4222");
  EXPECT_EQ(u.server_urls(), strings({"nats://localhost:4222"}));
}

TEST(NatsUrl, HostAndPort) {
  Url u = parse_url("nats://nats.internal:4333");
  EXPECT_EQ(u.servers[0], (ServerAddress{"nats.internal", 4333, false}));
  EXPECT_EQ(parse_url("nats://10.0.0.7").servers[0].host, "10.0.0.7");
  u = parse_url("nats://:7000");
  EXPECT_EQ(u.servers[0], (ServerAddress{"localhost", 7000, false}));
  EXPECT_EQ(parse_url("nats://h:1").servers[0].port, 1);
  EXPECT_EQ(parse_url("nats://h:65535").servers[0].port, 65535);
  EXPECT_EQ(parse_url("nats://h:04222").servers[0].port, 4222);
  EXPECT_EQ(parse_url("  nats://h:4223  ").servers[0].port, 4223);  // as pasted from config
}

TEST(NatsUrl, UserAndPassword) {
  const Url u = parse_url("nats://alice:s3cret@h:4223");
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "s3cret");
  EXPECT_EQ(u.token, "");
  EXPECT_EQ(u.servers[0], (ServerAddress{"h", 4223, false}));
  EXPECT_EQ(u.redacted(), "nats://alice:***@h:4223");
  EXPECT_EQ(u.public_hosts(), "h:4223");
  EXPECT_EQ(u.server_urls(), strings({"nats://h:4223"}));  // credentials go apart
}

TEST(NatsUrl, Token) {
  // Userinfo without ':' is a token, as nats.c and nats-py read it.
  const Url u = parse_url("nats://s3cr3t-t0ken@h:4223");
  EXPECT_EQ(u.token, "s3cr3t-t0ken");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.redacted(), "nats://***@h:4223");
  EXPECT_EQ(u.server_urls(), strings({"nats://h:4223"}));
}

TEST(NatsUrl, EmptyUserinfoIsNone) {
  const Url u = parse_url("nats://@h");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.token, "");
  EXPECT_EQ(u.redacted(), "nats://h:4222");
}

TEST(NatsUrl, PercentDecodingOfUserinfo) {
  Url u = parse_url("nats://us%40er:p%3Aa%2Fs%25s%2C%20@h");
  EXPECT_EQ(u.user, "us@er");
  EXPECT_EQ(u.password, "p:a/s%s, ");
  EXPECT_EQ(u.redacted(), "nats://us%40er:***@h:4222");
  u = parse_url("nats://t%2Fo%2Ck%3Ae%40n@h");
  EXPECT_EQ(u.token, "t/o,k:e@n");
  EXPECT_EQ(u.user, "");
}

TEST(NatsUrl, UnencodedDelimitersInThePassword) {
  // The userinfo ends at the last '@'; the password may hold ':' '@' '/' unencoded.
  const Url u = parse_url("nats://user:p@ss:w/rd@host:4300");
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password, "p@ss:w/rd");
  EXPECT_EQ(u.servers[0], (ServerAddress{"host", 4300, false}));
}

TEST(NatsUrl, Tls) {
  const Url u = parse_url("tls://user:pw@secure.example:4443");
  EXPECT_TRUE(u.tls);
  EXPECT_TRUE(u.servers[0].tls);
  EXPECT_EQ(u.redacted(), "tls://user:***@secure.example:4443");
  EXPECT_EQ(u.server_urls(), strings({"tls://secure.example:4443"}));
  EXPECT_TRUE(parse_url("TLS://h").tls);
}

TEST(NatsUrl, SeveralServers) {
  Url u = parse_url("nats://a:4222,nats://b:4223");
  ASSERT_EQ(u.servers.size(), 2u);
  EXPECT_EQ(u.servers[0], (ServerAddress{"a", 4222, false}));
  EXPECT_EQ(u.servers[1], (ServerAddress{"b", 4223, false}));
  EXPECT_EQ(u.redacted(), "nats://a:4222,b:4223");
  EXPECT_EQ(u.public_hosts(), "a:4222,b:4223");
  EXPECT_EQ(u.server_urls(), strings({"nats://a:4222", "nats://b:4223"}));

  // Later entries may omit the scheme (they take the first's) and the port.
  u = parse_url("nats://a, b:4223 ,c");
  ASSERT_EQ(u.servers.size(), 3u);
  EXPECT_EQ(u.servers[1], (ServerAddress{"b", 4223, false}));
  EXPECT_EQ(u.servers[2], (ServerAddress{"c", 4222, false}));
  u = parse_url("tls://a,b");
  EXPECT_TRUE(u.servers[1].tls);
  EXPECT_EQ(u.server_urls(), strings({"tls://a:4222", "tls://b:4222"}));
  EXPECT_EQ(u.redacted(), "tls://a:4222,b:4222");
}

TEST(NatsUrl, MixedSchemes) {
  const Url u = parse_url("nats://a,tls://b,c");
  EXPECT_TRUE(u.tls);  // one tls:// entry asks TLS of the connection
  EXPECT_FALSE(u.servers[0].tls);
  EXPECT_TRUE(u.servers[1].tls);
  EXPECT_FALSE(u.servers[2].tls);  // the first entry's scheme
  EXPECT_EQ(u.redacted(), "nats://a:4222,tls://b:4222,c:4222");
  EXPECT_EQ(u.server_urls(), strings({"nats://a:4222", "tls://b:4222", "nats://c:4222"}));
  EXPECT_EQ(parse_url(u.redacted()), u);
}

TEST(NatsUrl, CredentialsOnAnyEntry) {
  const Url expected = parse_url("nats://u:p@a:4222,b:4223");
  EXPECT_EQ(expected.user, "u");
  EXPECT_EQ(expected.password, "p");
  ASSERT_EQ(expected.servers.size(), 2u);
  EXPECT_EQ(expected.servers[1], (ServerAddress{"b", 4223, false}));
  EXPECT_EQ(expected.redacted(), "nats://u:***@a:4222,b:4223");
  EXPECT_EQ(expected.server_urls(), strings({"nats://a:4222", "nats://b:4223"}));
  EXPECT_EQ(parse_url("nats://a:4222,nats://u:p@b:4223"), expected);
  EXPECT_EQ(parse_url("nats://u:p@a:4222,u:p@b:4223"), expected);
  EXPECT_EQ(parse_url("nats://u:p@a:4222,nats://u:%70@b:4223"), expected);  // same once decoded

  const Url token = parse_url("nats://a,nats://tok@b");
  EXPECT_EQ(token.token, "tok");
  EXPECT_EQ(token.redacted(), "nats://***@a:4222,b:4222");
}

TEST(NatsUrl, Ipv6) {
  Url u = parse_url("nats://[::1]:4222");
  EXPECT_EQ(u.servers[0].host, "::1");
  EXPECT_EQ(u.public_hosts(), "[::1]:4222");
  EXPECT_EQ(u.redacted(), "nats://[::1]:4222");
  EXPECT_EQ(u.server_urls(), strings({"nats://[::1]:4222"}));
  u = parse_url("nats://u:p@[2001:db8::7],[::1]:4333");
  EXPECT_EQ(u.servers[0], (ServerAddress{"2001:db8::7", 4222, false}));
  EXPECT_EQ(u.servers[1], (ServerAddress{"::1", 4333, false}));
  EXPECT_EQ(u.public_hosts(), "[2001:db8::7]:4222,[::1]:4333");
  EXPECT_EQ(parse_url("nats://[fe80::1%25eth0]:1").servers[0].host,
            "fe80::1%eth0");  // RFC 6874 zone
}

TEST(NatsUrl, RedactedParsesBack) {
  for (std::string_view text :
       {"nats://h", "tls://a:1,b:2", "nats://a,tls://b", "nats://[::1]:4223,h", "nats://h:9/"}) {
    const Url u = parse_url(text);
    EXPECT_EQ(parse_url(u.redacted()), u) << text;
  }
  // With credentials the servers survive; the secret does not.
  const Url u = parse_url("nats://us%40er:pw@a,b:7");
  const Url back = parse_url(u.redacted());
  EXPECT_EQ(back.servers, u.servers);
  EXPECT_EQ(back.user, "us@er");
  EXPECT_EQ(back.password, "***");
}

TEST(NatsUrl, Errors) {
  const std::string form = "expected nats://[user:password@]host[:port]";
  for (std::string_view bad : {"",
                               "   ",
                               "localhost:4222",
                               "http://h",
                               "ws://h:8080",
                               "redis://h",
                               "nats://h:0",
                               "nats://h:65536",
                               "nats://h:99999999999",
                               "nats://h:",
                               "nats://h:port",
                               "nats://h:-1",
                               "nats://h:+1",
                               "nats://h/x",
                               "nats://h//",
                               "nats://h/1",
                               "nats://h?x=1",
                               "nats://h#f",
                               "nats://h/?x",
                               "nats://::1:4222",
                               "nats://::1",
                               "nats://[::1",
                               "nats://[::1]x",
                               "nats://[zz]:1",
                               "nats://[]:1",
                               "nats://[fe80::1%]:1",
                               "nats://[fe80::1%25eth0%zz]:1",
                               "nats://h h",
                               "nats://ho[st",
                               "nats://a,",
                               "nats://a,,b",
                               ",nats://a",
                               "nats://a, ,b",
                               "nats://a,b:0",
                               "nats://a,http://b",
                               "nats://a,b/x",
                               "nats://:p@h",
                               "nats://u:@h",
                               "nats://:@h",
                               "nats://u%zz:p@h",
                               "nats://u:p%zz@h",
                               "nats://t%zz@h",
                               "nats://t%4@h",
                               "nats://t%00@h",
                               "nats://u:p%00@h",
                               "nats://u%00:p@h",
                               "nats://u:p@a,nats://v:p@b",
                               "nats://u:p@a,u:q@b",
                               "nats://u:p@a,tok@b",
                               "nats://tok@a,tok2@b"}) {
    const std::string e = error_of(bad);
    EXPECT_NE(e.find(form), std::string::npos) << "'" << bad << "': " << e;
    EXPECT_NE(e.find("invalid NATS URL"), std::string::npos) << "'" << bad << "': " << e;
  }
  const auto has = [](std::string_view url, std::string_view reason) {
    return error_of(url).find(reason) != std::string::npos;
  };
  EXPECT_TRUE(has("nats://h:abc", "the port must be a number from 1 to 65535"));
  EXPECT_TRUE(has("nats://::1", "IPv6 addresses must be in brackets"));
  EXPECT_TRUE(has("localhost:4222", "no scheme"));
  EXPECT_TRUE(has("http://h", "unknown scheme 'http'"));
  EXPECT_TRUE(has("nats://a,http://b", "unknown scheme 'http'"));
  EXPECT_TRUE(has("nats://h/x", "a path is not supported"));
  EXPECT_TRUE(has("nats://h?x=1", "query parameters and fragments are not supported"));
  EXPECT_TRUE(has("nats://a,,b", "empty server entry"));
  EXPECT_TRUE(has("", "the URL is empty"));
  EXPECT_TRUE(has("nats://:p@h", "a password needs a user name"));
  EXPECT_TRUE(has("nats://u:@h", "the password is empty"));
  EXPECT_TRUE(has("nats://u:p@a,u:q@b", "the servers give different credentials"));
  EXPECT_TRUE(has("nats://t%zz@h", "malformed percent-encoding in the token"));
  EXPECT_TRUE(has("nats://u%zz:p@h", "malformed percent-encoding in the user name"));
  EXPECT_TRUE(has("nats://t%00@h", "must not contain %00"));
}

TEST(NatsUrl, ErrorsNeverShowTheSecret) {
  for (std::string_view bad : {
           "nats://user:hunter2@h:abc",
           "nats://user:hunter2@h/x",
           "nats://user:hunter2@h?x",
           "nats://u:hunter2%zz@h",
           "nats://u:hunter2%4@h",
           "nats://us%zz:hunter2@h",
           "nats://u:hunter2%00@h",
           "nats://hunter2%zz@h",
           "nats://hunter2%00@h",
           "nats://:hunter2@h",
           "nats://hunter2:@h",
           "http://user:hunter2@h",
           "user:hunter2@h:4222",
           "hunter2@h:4222",
           "hunter2://x@h",  // a token with an unencoded "://" and no scheme
           "nats://u:hunter2@[::1",
           "nats://u:hunt@er2@h:0",
           "nats://u:hunter2@a,u:other@b",
           "nats://u:other@a,u:hunter2@b",
           "nats://hunter2@a,other@b",
           "nats://u:hunter2@a,,b",
           "nats://u:hunter2@a,b:0",
           "nats://u:hunter2@a,http://b",
           "nats://a,http://u:hunter2@b",
           "nats://a,hunter2://x@b",
           "nats://u:hun,ter2@h",  // an unencoded ',' splits the secret across entries
           "nats://hun,ter2@h:0",
           "nats://u:hunter2:/x@h/y",
       }) {
    const std::string e = error_of(bad);
    EXPECT_NE(e, "(no error)") << bad;
    EXPECT_EQ(e.find("hunter2"), std::string::npos) << bad << ": " << e;
    EXPECT_EQ(e.find("hunt"), std::string::npos) << bad << ": " << e;
    EXPECT_EQ(e.find("ter2"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(error_of("nats://user:hunter2@h:abc").find("'nats://***@h:abc'"), std::string::npos);
  EXPECT_NE(error_of("http://user:hunter2@h").find("'***@h'"), std::string::npos);
}

TEST(NatsUrl, RedactedNeverShowsTheSecret) {
  for (std::string_view text : {"nats://user:hunter2@h", "tls://hunter2@a,b",
                                "nats://a,nats://u:hunter2@b", "nats://u:hunter2%2C@[::1]:1"}) {
    const Url u = parse_url(text);
    EXPECT_EQ(u.redacted().find("hunter2"), std::string::npos) << u.redacted();
    EXPECT_EQ(u.public_hosts().find("hunter2"), std::string::npos) << u.public_hosts();
    for (const auto& s : u.server_urls()) EXPECT_EQ(s.find("hunter2"), std::string::npos) << s;
  }
}

}  // namespace
