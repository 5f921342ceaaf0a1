// The yardstick for cache-hit throughput: an Express route that drains the request body
// and answers fixed bytes, i.e. the service's hit path minus everything the service does.
import { readFileSync } from 'node:fs';
import express from 'express';

const [file, port] = process.argv.slice(2);
if (!file || !port) {
  console.error('usage: node bare-server.ts <response-file> <port>');
  process.exit(1);
}
const bytes = readFileSync(file);
const app = express();
app.post('/upload', (req, res) => {
  req.resume();
  req.on('end', () => res.type('image/jpeg').send(bytes));
});
app.listen(Number(port), '127.0.0.1', () => console.log(`bare ready on http://127.0.0.1:${port}`));
