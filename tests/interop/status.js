// node status.js JOBID [PART]  ->  the Node client's status(jobId[, part]) as JSON, e.g.
// {"progress":0.25,"metadata":{},"reduceSent":false,"partComplete":true}
'use strict';
const { client, run, int } = require('./client');
const [jobId, part] = process.argv.slice(2);
if (!jobId) { process.stderr.write('usage: node status.js JOBID [PART]\n'); process.exit(2); }
const c = client();
run(part === undefined ? c.status(jobId) : c.status(jobId, int(part, 'PART')));
