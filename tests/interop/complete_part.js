// node complete_part.js JOBID PART  ->  {"complete": <bool>} from the Node client's completePart.
'use strict';
const { client, run, int } = require('./client');
const [jobId, part] = process.argv.slice(2);
if (!jobId || part === undefined) { process.stderr.write('usage: node complete_part.js JOBID PART\n'); process.exit(2); }
run(client().completePart(jobId, int(part, 'PART')).then((complete) => ({ complete })));
