// Does password hashing stall other requests? Measures the latency of a cheap page (the home
// page, server-rendered from the database) alone, then while 50 password sign-ins per second
// hit the server. Node 20, no packages.
//
//   ./bench/run.sh                 (builds nothing; starts target/release/portico on port 3200)
//   BASE=http://localhost:3000 node bench/load.mjs   (against a server you started yourself)
//
// The server must run with the demo data and PORTICO_SIGN_IN_ATTEMPTS_PER_MINUTE high enough
// that the per-address limit does not answer the sign-ins before they are hashed.

const BASE = process.env.BASE ?? "http://localhost:3200";
const SECONDS = Number(process.env.SECONDS ?? 20);
const SIGN_INS_PER_SECOND = Number(process.env.RATE ?? 50);
const PAGE_PER_SECOND = 10;
const ORIGIN = new URL(BASE).origin;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
}

function summary(name, times) {
  const sorted = [...times].sort((a, b) => a - b);
  return `${name}: n=${sorted.length} p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}

async function timed(request) {
  const started = performance.now();
  const response = await request();
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

/** Calls `fire` `perSecond` times a second for `seconds`, open loop; resolves with all results. */
async function at(perSecond, seconds, fire) {
  const pending = [];
  const interval = 1000 / perSecond;
  const start = performance.now();
  for (let i = 0; i < perSecond * seconds; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(fire());
  }
  return Promise.all(pending);
}

const page = () => timed(() => fetch(`${BASE}/`, { headers: { accept: "text/html" } }));
const signIn = () =>
  timed(() =>
    fetch(`${BASE}/api/accounts/sign_in_password`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ email: "anna@vandijk.example", password: "demo moving day 2026" }),
    }),
  );

const alone = await at(PAGE_PER_SECOND, SECONDS, page);
console.log(summary("home page, alone", alone.map((r) => r.ms)));

const [loaded, signIns] = await Promise.all([
  at(PAGE_PER_SECOND, SECONDS, page),
  at(SIGN_INS_PER_SECOND, SECONDS, signIn),
]);
console.log(summary(`home page, with ${SIGN_INS_PER_SECOND} sign-ins/s`, loaded.map((r) => r.ms)));
console.log(summary("password sign-in (step one)", signIns.map((r) => r.ms)));
const statuses = {};
for (const r of [...loaded, ...signIns]) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
console.log("statuses:", JSON.stringify(statuses));
