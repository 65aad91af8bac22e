// node set_total.js JOBID TOTAL  ->  null, after the Node client's setTotal (parts 1 .. TOTAL).
'use strict';
const { client, run, int } = require('./client');
const [jobId, total] = process.argv.slice(2);
if (!jobId || total === undefined) { process.stderr.write('usage: node set_total.js JOBID TOTAL\n'); process.exit(2); }
run(client().setTotal(jobId, int(total, 'TOTAL')));
