// The other end of the loopback baseline (sdk-common.ts): connects, counts bytes, answers one byte
// when all have arrived.
import net from 'node:net';

const port = Number(process.argv[2]);
const total = Number(process.argv[3]);
let received = 0;
const socket = net.connect(port, '127.0.0.1');
socket.on('data', (chunk) => {
  received += chunk.length;
  if (received >= total) socket.write('k');
});
socket.on('error', () => process.exit(0));
socket.on('close', () => process.exit(0));
