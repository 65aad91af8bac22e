// node fail_job.js JOBID REASON  ->  null, after the Node client's failJob.
'use strict';
const { client, run } = require('./client');
const [jobId, reason] = process.argv.slice(2);
if (!jobId || reason === undefined) { process.stderr.write('usage: node fail_job.js JOBID REASON\n'); process.exit(2); }
run(client().failJob(jobId, reason));
