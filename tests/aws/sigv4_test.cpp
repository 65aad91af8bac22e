// SigV4 signer against every vector in tests/data/sigv4.json (made by botocore), plus the pieces
// of the algorithm the vectors do not reach (paths, odd query strings, header trimming).

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/clock.hpp"
#include "aws/sigv4.hpp"
#include "test_paths.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;

namespace {

nlohmann::json load_vectors(const std::string& file = "sigv4.json") {
    std::ifstream in(wp_test::test_data_dir() + "/" + file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open tests/data/" + file);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

aws::SigningResult sign_vector(const nlohmann::json& v, std::string& body_storage) {
    aws::SigningRequest request;
    request.method = v.at("method").get<std::string>();
    request.url = v.at("url").get<std::string>();
    if (v.at("headers").is_array()) {  // sigv4_extra.json: [name, value] pairs, names may repeat
        for (const auto& pair : v.at("headers")) request.headers.emplace_back(pair.at(0), pair.at(1));
    } else {
        for (const auto& [name, value] : v.at("headers").items()) request.headers.emplace_back(name, value.get<std::string>());
    }
    body_storage = v.at("body").get<std::string>();
    request.body = body_storage;

    aws::SigningParams params;
    params.service = v.at("service").get<std::string>();
    params.region = v.at("region").get<std::string>();
    params.credentials.access_key_id = v.at("access_key").get<std::string>();
    params.credentials.secret_access_key = v.at("secret_key").get<std::string>();
    if (!v.at("session_token").is_null()) params.credentials.session_token = v.at("session_token").get<std::string>();
    params.time = aws::parse_amz_date(v.at("timestamp").get<std::string>());
    return aws::sign_request(request, params);
}

}  // namespace

TEST(Sigv4Test, VectorFileHasVectors) {
    auto doc = load_vectors();
    EXPECT_EQ(doc.at("algorithm"), "AWS4-HMAC-SHA256");
    EXPECT_GE(doc.at("vectors").size(), 12U);
}

void check_every_vector(const nlohmann::json& doc) {
    std::size_t checked = 0;
    for (const auto& v : doc.at("vectors")) {
        SCOPED_TRACE(v.at("name").get<std::string>());
        std::string body;
        aws::SigningResult result = sign_vector(v, body);
        EXPECT_EQ(result.canonical_request, v.at("canonical_request").get<std::string>());
        EXPECT_EQ(result.string_to_sign, v.at("string_to_sign").get<std::string>());
        EXPECT_EQ(result.signed_headers, v.at("signed_headers").get<std::string>());
        EXPECT_EQ(result.signature, v.at("signature").get<std::string>());
        EXPECT_EQ(result.authorization, v.at("authorization").get<std::string>());

        std::map<std::string, std::string> expected;
        for (const auto& [name, value] : v.at("expected_headers").items()) expected[name] = value.get<std::string>();
        std::map<std::string, std::string> added;
        std::string authorization;
        for (const auto& [name, value] : result.headers_to_add) {
            if (name == "Authorization") {
                authorization = value;
            } else {
                added[name] = value;
            }
        }
        EXPECT_EQ(added, expected);
        EXPECT_EQ(authorization, v.at("authorization").get<std::string>());
        // Header order contract: X-Amz-Date first, Authorization last.
        ASSERT_FALSE(result.headers_to_add.empty());
        EXPECT_EQ(result.headers_to_add.front().first, "X-Amz-Date");
        EXPECT_EQ(result.headers_to_add.back().first, "Authorization");
        ++checked;
    }
    EXPECT_EQ(checked, doc.at("vectors").size());
}

// The shared vectors (tests/data/sigv4.json, copied from the project's shared vectors).
TEST(Sigv4Test, EveryVectorMatchesEveryField) { check_every_vector(load_vectors()); }

// Edge cases the shared vectors do not reach, signed by botocore (tests/data/make_sigv4_extra.py).
TEST(Sigv4Test, EveryEdgeCaseVectorMatchesEveryField) {
    auto doc = load_vectors("sigv4_extra.json");
    EXPECT_GE(doc.at("vectors").size(), 18U);
    check_every_vector(doc);
}

TEST(Sigv4Test, SigningIsDeterministicAndTimeDependent) {
    auto doc = load_vectors();
    const auto& v = doc.at("vectors").at(0);
    std::string body;
    auto a = sign_vector(v, body);
    auto b = sign_vector(v, body);
    EXPECT_EQ(a.signature, b.signature);

    nlohmann::json later = v;
    later["timestamp"] = "20300101T000000Z";
    auto c = sign_vector(later, body);
    EXPECT_NE(a.signature, c.signature);
    EXPECT_NE(c.string_to_sign.find("20300101/"), std::string::npos);
}

TEST(Sigv4Test, CanonicalPathNormalization) {
    EXPECT_EQ(aws::canonical_uri_path(""), "/");
    EXPECT_EQ(aws::canonical_uri_path("/"), "/");
    EXPECT_EQ(aws::canonical_uri_path("/a/b"), "/a/b");
    EXPECT_EQ(aws::canonical_uri_path("/a/b/"), "/a/b/");
    EXPECT_EQ(aws::canonical_uri_path("//a//b//"), "/a/b/");
    EXPECT_EQ(aws::canonical_uri_path("/a/./b/../c"), "/a/c");
    EXPECT_EQ(aws::canonical_uri_path("/../.."), "/");
    EXPECT_EQ(aws::canonical_uri_path("/./"), "/");
    EXPECT_EQ(aws::canonical_uri_path("/a b/~x"), "/a%20b/~x");
    // Already-encoded input is encoded again (botocore's double encoding for non-S3 services).
    EXPECT_EQ(aws::canonical_uri_path("/a%20b"), "/a%2520b");
    EXPECT_EQ(aws::canonical_uri_path("/caf\xC3\xA9"), "/caf%C3%A9");
    EXPECT_EQ(aws::canonical_uri_path("/a:b=c+d"), "/a%3Ab%3Dc%2Bd");
}

TEST(Sigv4Test, CanonicalQueryString) {
    EXPECT_EQ(aws::canonical_query_string(""), "");
    EXPECT_EQ(aws::canonical_query_string("b=2&a=1"), "a=1&b=2");
    EXPECT_EQ(aws::canonical_query_string("a=2&a=1&a-b=3"), "a=1&a=2&a-b=3");
    EXPECT_EQ(aws::canonical_query_string("flag&x=1"), "flag=&x=1");
    EXPECT_EQ(aws::canonical_query_string("empty="), "empty=");
    // Sorting is by byte: uppercase before lowercase, '%' before letters.
    EXPECT_EQ(aws::canonical_query_string("a=1&B=2&%41=3"), "%41=3&B=2&a=1");
}

TEST(Sigv4Test, HeaderValuesAreTrimmedAndCollapsed) {
    EXPECT_EQ(aws::trim_header_value("  a   b \t c  "), "a b c");
    EXPECT_EQ(aws::trim_header_value(""), "");
    EXPECT_EQ(aws::trim_header_value("plain"), "plain");
}

TEST(Sigv4Test, HostHeaderAndRepeatedHeaders) {
    aws::SigningRequest request;
    request.method = "get";
    request.url = "https://user:pw@EXAMPLE.com:443/x?b=1#frag";
    request.headers = {{"X-Custom", " one "}, {"x-custom", "two"}, {"User-Agent", "ignored"},
                       {"X-Amz-Date", "stale"}, {"Authorization", "stale"}};
    aws::SigningParams params{"sns", "us-east-1", {"AKID", "SECRET", std::nullopt, std::nullopt},
                              aws::parse_amz_date("20260101T000000Z")};
    auto result = aws::sign_request(request, params);
    EXPECT_EQ(result.signed_headers, "host;x-amz-date;x-custom");
    EXPECT_NE(result.canonical_request.find("GET\n/x\nb=1\nhost:example.com\nx-amz-date:20260101T000000Z\nx-custom:one,two\n"),
              std::string::npos)
        << result.canonical_request;

    request.url = "http://127.0.0.1:8000";
    request.headers = {};
    result = aws::sign_request(request, params);
    EXPECT_NE(result.canonical_request.find("\n/\n\nhost:127.0.0.1:8000\n"), std::string::npos);

    request.url = "http://[::1]:80/";
    result = aws::sign_request(request, params);
    EXPECT_NE(result.canonical_request.find("host:[::1]\n"), std::string::npos);
}

TEST(Sigv4Test, ContentSha256HeaderOverridesPayloadHash) {
    aws::SigningRequest request{"PUT", "https://s3.amazonaws.com/b/k", {{"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"}}, "data"};
    aws::SigningParams params{"s3", "us-east-1", {"AKID", "SECRET", std::nullopt, std::nullopt},
                              aws::parse_amz_date("20260101T000000Z")};
    auto result = aws::sign_request(request, params);
    EXPECT_TRUE(result.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(Sigv4Test, RejectsMissingCredentialsWithoutLeakingThem) {
    aws::SigningRequest request{"GET", "https://sns.us-east-1.amazonaws.com/", {}, ""};
    aws::SigningParams params{"sns", "us-east-1", {"", "TOPSECRETVALUE", std::nullopt, std::nullopt},
                              aws::parse_amz_date("20260101T000000Z")};
    try {
        aws::sign_request(request, params);
        FAIL() << "expected InvalidInput";
    } catch (const watchbot_progress::InvalidInput& e) {
        EXPECT_EQ(std::string(e.what()).find("TOPSECRETVALUE"), std::string::npos);
    }
    params.credentials.access_key_id = "AKID";
    request.url = "not a url";
    EXPECT_THROW(aws::sign_request(request, params), watchbot_progress::InvalidInput);
}
