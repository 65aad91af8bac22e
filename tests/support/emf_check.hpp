#pragma once
// The CloudWatch Embedded Metric Format's rules
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
// checked on one line: what CloudWatch Logs requires to extract the metrics. Written from the
// specification's JSON schema:
//   root: an object with `_aws` (required) and the members the directives name;
//   _aws: {"Timestamp": integer ms since the epoch (required), "CloudWatchMetrics": array (required)
//          of MetricDirective};
//   MetricDirective: {"Namespace": string 1..255 chars (required), "Dimensions": array (required) of
//          DimensionSet, "Metrics": array (required, at most 100) of MetricDefinition};
//   DimensionSet: array of at most 30 strings, each 1..255 chars, each a member of the root whose
//          value is a string;
//   MetricDefinition: {"Name": string 1..255 chars (required), "Unit": one of the CloudWatch units
//          (optional), "StorageResolution": 1 or 60 (optional)}, and a member of the root of that
//          name whose value is a number or an array of at most 100 numbers.

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace wp_test {

// Every failure of `line` against the rules, with what is wrong; empty when it is a valid EMF line.
inline std::string emf_problems(const nlohmann::json& root) {
    static const std::set<std::string> units = {
        "Seconds",       "Microseconds",     "Milliseconds",   "Bytes",          "Kilobytes",     "Megabytes",
        "Gigabytes",     "Terabytes",        "Bits",           "Kilobits",       "Megabits",      "Gigabits",
        "Terabits",      "Percent",          "Count",          "Bytes/Second",   "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
        "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"};
    std::string problems;
    const auto bad = [&](const std::string& what) { problems += what + "; "; };
    const auto name_ok = [](const nlohmann::json& v) {
        return v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() <= 255;
    };
    if (!root.is_object()) return "not a JSON object";
    if (!root.contains("_aws") || !root["_aws"].is_object()) return "no _aws object";
    const auto& aws = root["_aws"];
    if (!aws.contains("Timestamp") || !aws["Timestamp"].is_number_integer() || aws["Timestamp"].get<std::int64_t>() < 0) {
        bad("_aws.Timestamp is not a non-negative integer");
    }
    if (!aws.contains("CloudWatchMetrics") || !aws["CloudWatchMetrics"].is_array()) {
        bad("_aws.CloudWatchMetrics is not an array");
        return problems;
    }
    for (const auto& directive : aws["CloudWatchMetrics"]) {
        if (!directive.is_object()) {
            bad("a metric directive is not an object");
            continue;
        }
        if (!directive.contains("Namespace") || !name_ok(directive["Namespace"])) bad("Namespace is not a string of 1 to 255 characters");
        if (!directive.contains("Dimensions") || !directive["Dimensions"].is_array()) {
            bad("Dimensions is not an array");
        } else {
            for (const auto& set : directive["Dimensions"]) {
                if (!set.is_array() || set.size() > 30) {
                    bad("a dimension set is not an array of at most 30 names");
                    continue;
                }
                for (const auto& d : set) {
                    if (!name_ok(d)) {
                        bad("a dimension name is not a string of 1 to 255 characters");
                    } else if (!root.contains(d.get<std::string>()) || !root[d.get<std::string>()].is_string()) {
                        bad("dimension " + d.get<std::string>() + " has no string member");
                    }
                }
            }
        }
        if (!directive.contains("Metrics") || !directive["Metrics"].is_array() || directive["Metrics"].size() > 100) {
            bad("Metrics is not an array of at most 100 definitions");
            continue;
        }
        for (const auto& metric : directive["Metrics"]) {
            if (!metric.is_object() || !metric.contains("Name") || !name_ok(metric["Name"])) {
                bad("a metric definition has no Name of 1 to 255 characters");
                continue;
            }
            const std::string name = metric["Name"];
            if (metric.contains("Unit") && (!metric["Unit"].is_string() || units.count(metric["Unit"]) == 0)) {
                bad("metric " + name + " has an unknown Unit");
            }
            if (metric.contains("StorageResolution") && metric["StorageResolution"] != 1 && metric["StorageResolution"] != 60) {
                bad("metric " + name + " has a StorageResolution other than 1 or 60");
            }
            const bool numbers = root.contains(name) && root[name].is_array() && root[name].size() <= 100 &&
                                 std::all_of(root[name].begin(), root[name].end(), [](const auto& v) { return v.is_number(); });
            if (!root.contains(name) || !(root[name].is_number() || numbers)) bad("metric " + name + " has no number member");
        }
    }
    return problems;
}

// Parses `line` (one JSON text) and checks it; a test failure saying what is wrong otherwise.
inline nlohmann::json expect_emf_line(const std::string& line) {
    nlohmann::json root;
    try {
        root = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON (" << e.what() << "): " << line;
        return root;
    }
    EXPECT_EQ(emf_problems(root), "") << line;
    return root;
}

}  // namespace wp_test
