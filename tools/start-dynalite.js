// Starts dynalite (an in-memory DynamoDB) on 127.0.0.1 on an ephemeral port and prints
// "PORT <n>" once it listens. Stops on SIGTERM/SIGINT.
'use strict';
const dynalite = require('dynalite');
const server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 });
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
