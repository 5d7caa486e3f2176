/** Serves the people subgraph on PORT (default 4002). */
import { startPeopleServer } from './server.js';

const people = await startPeopleServer({ port: Number(process.env.PORT ?? 4002) });
console.log(JSON.stringify({ url: people.url, msg: `people subgraph ready at ${people.url}` }));
const stop = () => void people.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
