#!/usr/bin/env python3
"""Regenerates sigv4_extra.json: SigV4 edge cases (paths, odd query strings, header whitespace,
repeated headers, ports) signed by botocore's SigV4Auth, in the same layout as sigv4.json.
Needs botocore (a developer tool only; the tests read the JSON file)."""
import datetime
import json
import sys
from unittest import mock

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CASES = [
    # name, method, url, headers (list of pairs), body, token
    ("path-dot-segments", "GET", "https://sns.us-east-1.amazonaws.com/a/./b/../c/", [], "", None),
    ("path-double-slashes", "GET", "https://sns.us-east-1.amazonaws.com//a//b", [], "", None),
    ("path-encoded-space-double-encoded", "GET", "https://sns.us-east-1.amazonaws.com/a%20b/c~d", [], "", None),
    ("path-reserved-chars", "GET", "https://sns.us-east-1.amazonaws.com/a:b=c+d$e", [], "", None),
    ("path-dotdot-above-root", "GET", "https://sns.us-east-1.amazonaws.com/../../x", [], "", None),
    ("query-no-equals", "GET", "https://sns.us-east-1.amazonaws.com/?flag&b=2&a=", [], "", None),
    ("query-same-name-sorted-by-value", "GET", "https://sns.us-east-1.amazonaws.com/?k=b&k=a&k=", [], "", None),
    ("query-case-sorting", "GET", "https://sns.us-east-1.amazonaws.com/?b=1&B=2&_=3&~=4&%41=5", [], "", None),
    ("query-with-fragment", "GET", "https://sns.us-east-1.amazonaws.com/p?x=1#frag", [], "", None),
    ("header-whitespace", "POST", "https://dynamodb.eu-central-1.amazonaws.com/",
     [("Content-Type", "  application/x-amz-json-1.0  "), ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
      ("X-Custom", "a   b \t c")], '{"TableName":"t"}', None),
    ("header-user-agent-not-signed", "POST", "https://sns.us-east-1.amazonaws.com/",
     [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("User-Agent", "x/1"),
      ("Expect", "100-continue"), ("X-Amzn-Trace-Id", "Root=1")], "Action=ListTopics&Version=2010-03-31", None),
    ("repeated-header-names", "GET", "https://sns.us-east-1.amazonaws.com/",
     [("X-Dup", "one"), ("x-dup", " two  words ")], "", None),
    ("stale-date-and-token-replaced", "GET", "https://sns.us-east-1.amazonaws.com/",
     [("X-Amz-Date", "19990101T000000Z"), ("X-Amz-Security-Token", "old")], "", "NEWTOKEN"),
    ("https-default-port-dropped", "GET", "https://sns.us-east-1.amazonaws.com:443/", [], "", None),
    ("http-default-port-dropped", "GET", "http://localhost:80/", [], "", None),
    ("http-nondefault-port-kept-token", "POST", "http://localhost:4566/",
     [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "DynamoDB_20120810.Scan")],
     '{"TableName":"t","Limit":1}', "TOKEN/with+slash=="),
    ("uppercase-host", "GET", "https://SNS.US-EAST-1.amazonaws.com/", [], "", None),
    ("delete-method-body", "DELETE", "https://sns.us-east-1.amazonaws.com/x", [], "payload", None),
]


def main():
    vectors = []
    stamp = "20270315T081500Z"
    fixed = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    for name, method, url, headers, body, token in CASES:
        service = "dynamodb" if "dynamodb" in url or "DynamoDB" in str(headers) else "sns"
        region = "eu-central-1" if "eu-central-1" in url else "us-east-1"
        creds = Credentials("AKIDEXAMPLEEXTRA0001", "extraSecretKeyForEdgeCases/0123456789abc", token)
        request = AWSRequest(method=method, url=url, data=body.encode("utf-8"))
        for key, value in headers:
            request.headers[key] = value
        auth = SigV4Auth(creds, service, region)
        with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
            auth.add_auth(request)
        authorization = request.headers["Authorization"]
        del request.headers["Authorization"]
        canonical = auth.canonical_request(request)
        string_to_sign = auth.string_to_sign(request, canonical)
        expected = {"X-Amz-Date": request.headers["X-Amz-Date"]}
        if token:
            expected["X-Amz-Security-Token"] = request.headers["X-Amz-Security-Token"]
        vectors.append({
            "name": name, "service": service, "region": region,
            "access_key": creds.access_key, "secret_key": creds.secret_key, "session_token": token,
            "timestamp": stamp, "method": method, "url": url,
            "headers": headers, "body": body,
            "canonical_request": canonical, "string_to_sign": string_to_sign,
            "signed_headers": auth.signed_headers(auth.headers_to_sign(request)),
            "signature": authorization.rsplit("Signature=", 1)[1],
            "authorization": authorization, "expected_headers": expected,
        })
    doc = {"description": "SigV4 edge cases; headers are a list of [name, value] pairs",
           "generator": "botocore %s botocore.auth.SigV4Auth" % botocore.__version__,
           "algorithm": "AWS4-HMAC-SHA256", "vectors": vectors}
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
