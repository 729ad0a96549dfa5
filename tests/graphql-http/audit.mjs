// Runs graphql-http's server audits against a live GraphQL endpoint.
// Prints one line per audit that is not ok and a JSON summary; exits 1 when a MUST audit fails.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
let mustFailures = 0;
for (const result of results) {
  if (result.status === 'ok') continue;
  const must = result.name.startsWith('MUST');
  if (must) mustFailures += 1;
  let reason = result.reason;
  if (result.response) {
    reason += ` (got ${result.response.status})`;
  }
  console.log(`${must ? 'FAIL' : result.status} ${result.id} ${result.name}: ${reason}`);
}
const count = (status) => results.filter((r) => r.status === status).length;
console.log(JSON.stringify({ total: results.length, ok: count('ok'), notice: count('notice'), warn: count('warn'),
  error: count('error'), mustFailures }));
process.exit(mustFailures ? 1 : 0);
