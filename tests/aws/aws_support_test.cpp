// Small building blocks: hashes, CRC-32, URL splitting and encoding, timestamps, environment.

#include <gtest/gtest.h>

#include "aws/clock.hpp"
#include "aws/crypto.hpp"
#include "aws/env.hpp"
#include "aws/headers.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::InvalidInput;

TEST(AwsSupportTest, Hashes) {
    EXPECT_EQ(aws::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(aws::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2.
    EXPECT_EQ(aws::to_hex(aws::hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(aws::crc32("123456789"), 0xCBF43926U);
    EXPECT_EQ(aws::crc32(""), 0U);
}

TEST(AwsSupportTest, UrlParsing) {
    auto url = aws::parse_url("HTTPS://User:Pw@Example.COM:8443/a/b?x=1&y=2#frag");
    EXPECT_EQ(url.scheme, "https");
    EXPECT_EQ(url.host, "example.com");
    EXPECT_EQ(url.port, 8443);
    EXPECT_EQ(url.path, "/a/b");
    EXPECT_EQ(url.query, "x=1&y=2");
    EXPECT_EQ(aws::host_header_value(url), "example.com:8443");

    url = aws::parse_url("http://[::1]:8000");
    EXPECT_TRUE(url.ipv6);
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.path, "");
    EXPECT_EQ(aws::host_header_value(url), "[::1]:8000");

    url = aws::parse_url("http://host?q");
    EXPECT_EQ(url.path, "");
    EXPECT_EQ(url.query, "q");
    EXPECT_EQ(aws::host_header_value(aws::parse_url("https://h:443/")), "h");
    EXPECT_EQ(aws::host_header_value(aws::parse_url("http://h:80/")), "h");
    EXPECT_EQ(aws::host_header_value(aws::parse_url("http://h:443/")), "h:443");

    for (const char* bad : {"", "host/path", "://h", "http://", "http://h:x/", "http://h:123456/", "http://[::1/",
                            "http://h/a b", "http://h/\n"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(aws::parse_url(bad), InvalidInput);
    }
    try {
        aws::parse_url("http://user:hunter2@h:x/");
    } catch (const InvalidInput& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
    }
    EXPECT_EQ(aws::redact_url("http://user:pw@host:1/p@x"), "http://host:1/p@x");
    EXPECT_EQ(aws::redact_url("http://host/p@x"), "http://host/p@x");
}

TEST(AwsSupportTest, PercentEncoding) {
    EXPECT_EQ(aws::uri_encode("AZaz09-_.~"), "AZaz09-_.~");
    EXPECT_EQ(aws::uri_encode("a b+c/d"), "a%20b%2Bc%2Fd");
    EXPECT_EQ(aws::uri_encode("a b/c", true), "a%20b/c");
    EXPECT_EQ(aws::uri_encode("caf\xC3\xA9 \xF0\x9F\x9A\x80"), "caf%C3%A9%20%F0%9F%9A%80");
    EXPECT_EQ(aws::form_encode({{"Action", "Publish"}, {"Message", "{\"a\":\"100%\"}"}, {"Empty", ""}}),
              "Action=Publish&Message=%7B%22a%22%3A%22100%25%22%7D&Empty=");
}

TEST(AwsSupportTest, Timestamps) {
    auto t = aws::parse_amz_date("20280229T235959Z");
    EXPECT_EQ(aws::format_amz_date(t), "20280229T235959Z");
    EXPECT_EQ(aws::format_iso8601(t), "2028-02-29T23:59:59Z");
    EXPECT_EQ(aws::parse_iso8601("2028-02-29T23:59:59Z"), t);
    EXPECT_EQ(aws::parse_iso8601("2028-02-29T23:59:59.250Z"), t + std::chrono::milliseconds(250));
    EXPECT_EQ(aws::parse_iso8601("2028-03-01T01:59:59+02:00"), t);
    EXPECT_EQ(aws::parse_iso8601("2028-02-29T18:59:59-05:00"), t);
    EXPECT_EQ(aws::format_amz_date(t + std::chrono::milliseconds(999)), "20280229T235959Z");
    for (const char* bad : {"", "20270229T000000Z", "2028-02-29 23:59:59Z", "2028-02-29T23:59:59", "2028-13-01T00:00:00Z",
                            "2028-02-29T23:59:59.Z", "2028-02-29T23:59:59+0200"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(aws::parse_iso8601(bad), InvalidInput);
    }
    EXPECT_THROW(aws::parse_amz_date("20270229T000000Z"), InvalidInput);
    EXPECT_THROW(aws::parse_amz_date("2028-02-29"), InvalidInput);
}

TEST(AwsSupportTest, EnvironmentLookup) {
    auto env = aws::map_env({{"A", "1"}, {"EMPTY", ""}, {"FLAG", "True"}});
    EXPECT_EQ(aws::env_non_empty(env, "A"), std::optional<std::string>("1"));
    EXPECT_FALSE(aws::env_non_empty(env, "EMPTY"));
    EXPECT_FALSE(aws::env_non_empty(env, "MISSING"));
    EXPECT_TRUE(aws::env_true(env, "FLAG"));
    EXPECT_FALSE(aws::env_true(env, "A"));
    EXPECT_TRUE(aws::process_env()("PATH").has_value());
}

TEST(AwsSupportTest, HeaderLookup) {
    aws::HeaderList headers{{"Content-Type", "a"}, {"X-Y", "b"}};
    EXPECT_EQ(aws::find_header(headers, "content-type"), std::optional<std::string>("a"));
    aws::set_header(headers, "x-y", "c");
    EXPECT_EQ(headers.size(), 2U);
    EXPECT_EQ(aws::find_header(headers, "X-Y"), std::optional<std::string>("c"));
}
