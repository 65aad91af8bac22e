// Starts fauxqs (an SNS/SQS emulator) bound to 127.0.0.1 only, on an ephemeral port, and prints
// "PORT <n>" once it listens. Its own CLI listens on every interface, so we use its API.
import { buildApp } from 'fauxqs';
const app = buildApp({ logger: false, host: '127.0.0.1', defaultRegion: 'us-east-1' });
await app.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' });
process.stdout.write(`PORT ${app.server.address().port}\n`);
const stop = async () => { await app.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
