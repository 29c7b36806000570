// GraphQL-over-HTTP conformance audit of a running zeren API, with graphql-http's auditServer.
//
//   GRAPHQL_AUDIT_TOKEN=<bearer token> node tests/conformance/audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one JSON line per audit ({"id", "name", "status", and for a failure "reason" and "body"}),
// then a summary line ({"summary": {...}}). Exits 1 when a MUST ("error") or a SHOULD ("warn")
// audit fails, 2 on a usage or fatal error; MAY audits that fail ("notice") are reported only.
// Run by tests/api/test_graphql_http.py after `npm ci` in this folder.

import { auditServer } from 'graphql-http';

const url = process.argv[2];
const token = process.env.GRAPHQL_AUDIT_TOKEN;
if (!url) {
  console.error('usage: GRAPHQL_AUDIT_TOKEN=<token> node audit.mjs <url of the GraphQL endpoint>');
  process.exit(2);
}

/** fetch with the bearer token added to every request the audit makes. */
function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

async function bodyOf(response) {
  try {
    return (await response.text()).slice(0, 500);
  } catch {
    return null; // already read by the audit
  }
}

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (err) {
  console.error(`the audit could not run: ${err?.stack ?? err}`);
  process.exit(2);
}

const summary = {};
for (const result of results) {
  const level = result.name.split(' ')[0];
  const counts = (summary[level] ??= { ok: 0, failed: 0 });
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status === 'ok') {
    counts.ok += 1;
  } else {
    counts.failed += 1;
    line.reason = result.reason;
    line.httpStatus = result.response?.status;
    line.contentType = result.response?.headers?.get('content-type') ?? null;
    line.body = result.response ? await bodyOf(result.response) : null;
  }
  console.log(JSON.stringify(line));
}
console.log(JSON.stringify({ summary }));

process.exit(results.some((r) => r.status === 'error' || r.status === 'warn') ? 1 : 0);
