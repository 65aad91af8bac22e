// DynamoDB's JSON answers: the attribute-value reader and writer (src/backends/dynamodb/dynamodb_attribute_value)
// and the JSON error parser (src/aws/error_parsing). Invariants:
//   - parse_json_error never throws;
//   - from_attribute_value / from_attribute_map / parse_number throw only InvalidInput;
//   - what they read is writable again and reads back the same (from(to(from(x))) == from(x));
//   - what to_attribute_value writes reads back the same (from(to(v)) == v);
//   - the item readers (get_int, get_number_set, set_size) never throw.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "aws/error_parsing.hpp"
#include "fuzz_check.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using watchbot_progress::InvalidInput;
using nlohmann::json;

namespace {

void check_reads_back(const json& plain) {
    json written;
    FUZZ_CHECK(wp_fuzz::expect_errors<>("to_attribute_value of what was read", [&] { written = dynamodb::to_attribute_value(plain); }));
    json again;
    FUZZ_CHECK(wp_fuzz::expect_errors<>("from_attribute_value of what was written", [&] { again = dynamodb::from_attribute_value(written); }));
    FUZZ_CHECK(again == plain);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    wp_fuzz::expect_errors<>("parse_json_error", [&] {
        const aws::ServiceError e = aws::parse_json_error(text, {{"x-amzn-requestid", "r"}, {"x-amzn-errortype", "T:x"}});
        FUZZ_CHECK(e.code.find('#') == std::string::npos);
        FUZZ_CHECK(e.code.find(':') == std::string::npos);
    });

    const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return 0;

    // The read direction: an attribute value, a map of them, a number.
    json plain;
    if (wp_fuzz::expect_errors<InvalidInput>("from_attribute_value", [&] { plain = dynamodb::from_attribute_value(doc); })) {
        check_reads_back(plain);
    }
    if (wp_fuzz::expect_errors<InvalidInput>("from_attribute_map", [&] { plain = dynamodb::from_attribute_map(doc); })) {
        FUZZ_CHECK(plain.is_object());
        json written;
        FUZZ_CHECK(wp_fuzz::expect_errors<>("to_attribute_map", [&] { written = dynamodb::to_attribute_map(plain); }));
        FUZZ_CHECK(dynamodb::from_attribute_map(written) == plain);
    }
    if (doc.is_string()) {
        json number;
        if (wp_fuzz::expect_errors<InvalidInput>("parse_number", [&] { number = dynamodb::parse_number(doc.get<std::string>()); })) {
            FUZZ_CHECK(number.is_number());
            if (number.is_number_float()) FUZZ_CHECK(std::isfinite(number.get<double>()));
            check_reads_back(number);
        }
    }

    // The write direction: any JSON value that can be written reads back the same.
    json written;
    if (wp_fuzz::expect_errors<InvalidInput>("to_attribute_value", [&] { written = dynamodb::to_attribute_value(doc); })) {
        json back;
        FUZZ_CHECK(wp_fuzz::expect_errors<>("from_attribute_value of written", [&] { back = dynamodb::from_attribute_value(written); }));
        FUZZ_CHECK(back == doc);
    }

    // The item readers take any item.
    wp_fuzz::expect_errors<>("item readers", [&] {
        for (const char* name : {"total", "parts", "id", "reduceSent"}) {
            (void)dynamodb::get_int(doc, name);
            (void)dynamodb::get_number_set(doc, name);
            (void)dynamodb::set_size(doc, name);
        }
    });
    return 0;
}
