// node set_metadata.js JOBID JSON  ->  null, after the Node client's setMetadata (replaces the map).
'use strict';
const { client, run } = require('./client');
const [jobId, text] = process.argv.slice(2);
if (!jobId || text === undefined) { process.stderr.write('usage: node set_metadata.js JOBID JSON\n'); process.exit(2); }
run(client().setMetadata(jobId, JSON.parse(text)));
