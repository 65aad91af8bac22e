// What one UpdateItem costs dynalite, by the request's shape: the server's CPU time per request
// (read from /proc/PID/stat) and requests per second, 25 requests in flight over keep-alive
// connections, 8,000 requests per shape, each shape on items of its own. It answers which part of a
// sharded completion (condition expression, returned values, set size) costs the emulator what;
// docs/performance.md has the figures.
//
//   node bench/dynalite/request_cost.js ENDPOINT DYNALITE_PID TABLE [ROUNDS]
//   e.g. node bench/dynalite/request_cost.js $WP_TEST_DYNAMODB_ENDPOINT $(pgrep -f start-dynalite.js) bench 3
//
// The table must exist (watchbot-progress-cpp create-table). Its items "request-cost-*" are
// overwritten and deleted at the end. Requests carry a fixed Authorization header: dynalite checks
// its form, not the signature. The first round warms the server up; compare the later ones.
'use strict';
const http = require('http');
const fs = require('fs');

const [, , endpoint, pidText, table, roundsText] = process.argv;
if (!endpoint || !pidText || !table) {
  process.stderr.write('usage: node request_cost.js ENDPOINT DYNALITE_PID TABLE [ROUNDS]\n');
  process.exit(2);
}
const url = new URL(endpoint);
const pid = Number(pidText);
const rounds = Number(roundsText || 3);
const kInFlight = 25;
const kRequests = 8000;
const agent = new http.Agent({ keepAlive: true, maxSockets: kInFlight });

function call(target, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const request = http.request({
      host: url.hostname, port: url.port, method: 'POST', path: '/', agent,
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `DynamoDB_20120810.${target}`,
        Authorization: 'AWS4-HMAC-SHA256 Credential=fake/20260101/us-east-1/dynamodb/aws4_request, ' +
          'SignedHeaders=host;x-amz-date, Signature=0',
        'X-Amz-Date': '20260101T000000Z',
        'Content-Length': Buffer.byteLength(data),
      },
    }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, text }));
    });
    request.on('error', reject);
    request.end(data);
  });
}

// CPU seconds (user + system) of the server so far: fields 14 and 15 of /proc/PID/stat.
function serverCpuSeconds() {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // clock ticks; 100 per second on Linux
}

const key = (slot) => ({ id: { S: `request-cost-${slot}` } });
const setItem = (slot, ids) => ({
  ...key(slot),
  shardOf: { S: 'request-cost' },
  total: { N: String(ids) },
  parts: { NS: Array.from({ length: ids }, (_, i) => String(100000 + i)) },
});

// The shapes: the raw loop's counter, and a shard step of each kind on a set of `ids` numbers.
// The deleted id is not in the set, so the set keeps its size through the round.
function shapes(ids) {
  const del = (extra) => (slot) => ({
    TableName: table, Key: key(slot), UpdateExpression: 'DELETE #p :c',
    ExpressionAttributeNames: { '#p': 'parts' }, ExpressionAttributeValues: { ':c': { NS: ['5'] } }, ...extra,
  });
  return [
    [`${ids}-id set, condition size(parts) > 1, ReturnValues NONE`, del({
      ConditionExpression: 'size(#p) > :one',
      ExpressionAttributeValues: { ':c': { NS: ['5'] }, ':one': { N: '1' } },
    })],
    [`${ids}-id set, condition attribute_exists(id), ReturnValues NONE`, del({
      ConditionExpression: 'attribute_exists(#i)', ExpressionAttributeNames: { '#p': 'parts', '#i': 'id' },
    })],
    [`${ids}-id set, no condition, ReturnValues ALL_NEW`, del({ ReturnValues: 'ALL_NEW' })],
    [`${ids}-id set, no condition, ReturnValues NONE`, del({})],
  ];
}

async function measure(name, setUp, make) {
  for (let slot = 0; slot < kInFlight; ++slot) await setUp(slot);
  let next = 0;
  let errors = 0;
  const cpuStart = serverCpuSeconds();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: kInFlight }, async (_, slot) => {
    for (let i = next++; i < kRequests; i = next++) {
      const { status, text } = await call('UpdateItem', make(slot));
      if (status !== 200 && errors++ === 0) process.stderr.write(`${name}: HTTP ${status} ${text}\n`);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = serverCpuSeconds() - cpuStart;
  console.log(`${name}: server ${(1000 * cpu / kRequests).toFixed(3)} ms CPU per request, ` +
              `${Math.round(kRequests / seconds)} requests/s, ${errors} errors`);
}

(async () => {
  for (let round = 1; round <= rounds; ++round) {
    console.log(`round ${round}`);
    await measure('counter item, ADD n 1 (the raw loop)', (slot) => call('DeleteItem', { TableName: table, Key: key(slot) }),
      (slot) => ({
        TableName: table, Key: key(slot), UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':one': { N: '1' } },
      }));
    for (const ids of [125, 25]) {
      for (const [name, make] of shapes(ids)) {
        await measure(name, (slot) => call('PutItem', { TableName: table, Item: setItem(slot, ids) }), make);
      }
    }
  }
  for (let slot = 0; slot < kInFlight; ++slot) await call('DeleteItem', { TableName: table, Key: key(slot) });
  agent.destroy();
})().catch((e) => {
  process.stderr.write(`request_cost.js: ${e.message}\n`);
  process.exit(1);
});
