// Shared by the interop scripts: the Node tool's progress client (@mapbox/watchbot-progress, from
// WP_TEST_NODE_MODULES), and output as one JSON line on stdout.
//
// The client reads ProgressTable (table ARN) and DynamoDbEndpoint from the environment, and the AWS
// SDK reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the C++ test passes all of them.
'use strict';
const path = require('path');

const modules = process.env.WP_TEST_NODE_MODULES;
if (!modules) {
  process.stderr.write('WP_TEST_NODE_MODULES is not set: point it at tools/node_modules\n');
  process.exit(2);
}
const progress = require(path.join(modules, '@mapbox', 'watchbot-progress')).progress;

exports.client = () => progress(process.env.ProgressTable);

exports.run = (promise) => {
  promise.then(
    (value) => {
      process.stdout.write(JSON.stringify(value === undefined ? null : value) + '\n');
    },
    (err) => {
      process.stderr.write(`node interop script failed: ${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    });
};

exports.int = (text, name) => {
  const n = Number(text);
  if (!Number.isInteger(n)) {
    process.stderr.write(`${name} must be an integer, not ${text}\n`);
    process.exit(2);
  }
  return n;
};
