// peers.mjs - the in-process peers on jitgate's decision workloads:
// Cedar (@cedar-policy/cedar-wasm) and casbin (casbin), in Node.
//
//   node bench/peers.mjs [--grants 1000,100000,1000000] [--rules 10,100,1000]
//                        [--seconds 3] [--cedar-max-grants 100000]
//
// The workloads are those of bench_check.c and bench_screen.c, expressed
// in each peer's own terms:
//
// check: N active grants, grant i = principal user<i/4>, resource
//   res-<(i/4)%64>, action sql.read|sql.write|service.restart|deploy by
//   i%4, expiring at T0+3600+i%1000; the question is "may P do A on R at
//   T0?" for random existing grants (every answer must be allow).
//   casbin: one policy line per grant (sub, obj, act, exp) and the matcher
//     r.sub == p.sub && r.obj == p.obj && r.act == p.act && r.now < p.exp
//   Cedar: one static policy per grant,
//     permit(principal == User::"…", action == Action::"…",
//            resource == Resource::"…") when { context.now < EXP };
//     parsed once (preparsePolicySet), asked with statefulIsAuthorized.
//
// screen: N rules, rule i for resource svc-i and action deploy, with a
//   justification of at least 10 characters and a ticket matching
//   (INC|CHG)-[0-9]+; the request matches only the last rule.
//   casbin: policy lines (svc-i, deploy, ^(INC|CHG)-[0-9]+$) and the
//     matcher r.obj == p.obj && r.act == p.act && minLen(r.reason, 10) &&
//     regexMatch(r.ticket, p.ticket)   (minLen: a JS function; casbin's
//     matcher parser refuses the pattern written inside the matcher)
//   Cedar: one policy per rule,
//     permit(principal, action == Action::"deploy", resource ==
//            Resource::"svc-i") when { context.reason_length >= 10 &&
//            (context.ticket like "INC-*" || context.ticket like "CHG-*") };
//     (Cedar has neither string length nor regular expressions: the
//     caller passes the length, and `like` stands in for the pattern.)
//
// Latency: process.hrtime.bigint() around each call (p50, p99); rate: a
// loop with no clock inside, or, when one call takes over 1 ms, the timed
// calls themselves. Memory: the growth of the process's RSS from before
// the grants were loaded to after (with a forced GC when --expose-gc is
// given), divided by N. Each figure is one RESULT line, like the C
// benchmarks'; a peer that cannot run prints a RESULT with "skipped" and
// the reason, never a number.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const T0 = 1900000000;
const ACTIONS = ['sql.read', 'sql.write', 'service.restart', 'deploy'];

function arg(name, def) {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const GRANTS = arg('grants', '1000,100000,1000000').split(',').filter(Boolean).map(Number);
const RULES = arg('rules', '10,100,1000').split(',').filter(Boolean).map(Number);
const SECONDS = Number(arg('seconds', '3'));
const CEDAR_MAX = Number(arg('cedar-max-grants', '100000'));

function result(o) {
	console.log('RESULT ' + JSON.stringify(o));
}
function say(s) {
	console.log(s);
}

function gc() {
	if (global.gc) { global.gc(); global.gc(); }
}
function rss() {
	gc();
	return process.memoryUsage().rss;
}

function key(i) {
	const p = Math.floor(i / 4);
	return {
		principal: 'user' + String(p).padStart(7, '0'),
		resource: 'res-' + String(p % 64).padStart(2, '0'),
		action: ACTIONS[i % 4],
		exp: T0 + 3600 + (i % 1000),
	};
}

// xorshift32: reproducible random keys
function rng(seed) {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13; x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5; x >>>= 0;
		return x;
	};
}

// Time fn(i) -> boolean (true = right answer) for `seconds`.
function measure(fn, seconds) {
	const lat = [];
	const rand = rng(12345);
	let bad = 0;
	// warm-up, bounded by time
	const w0 = process.hrtime.bigint();
	for (let k = 0; k < 2000; k++) {
		fn(rand());
		if (Number(process.hrtime.bigint() - w0) > seconds * 0.2e9) break;
	}
	const t0 = process.hrtime.bigint();
	for (;;) {
		const a = process.hrtime.bigint();
		const ok = fn(rand());
		const b = process.hrtime.bigint();
		if (!ok) bad++;
		lat.push(Number(b - a));
		if (Number(b - t0) > seconds * 1e9 && lat.length >= 3) break;
		if (lat.length >= 4000000) break;
	}
	const timed = Number(process.hrtime.bigint() - t0);
	lat.sort((x, y) => x - y);
	const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
	const p50 = q(0.5), p99 = q(0.99);
	let rate;
	if (p50 > 1e6) {
		rate = lat.length / (timed / 1e9);
	} else {
		let calls = 0;
		const r0 = process.hrtime.bigint();
		let el;
		do {
			for (let k = 0; k < 256; k++) if (!fn(rand())) bad++;
			calls += 256;
			el = Number(process.hrtime.bigint() - r0);
		} while (el < seconds * 1e9);
		rate = calls / (el / 1e9);
	}
	return { p50_ns: p50, p99_ns: p99, samples: lat.length, rate: Math.round(rate), bad };
}

// ---- casbin ----------------------------------------------------------------

let casbin = null, casbinWhy = '';
try {
	casbin = require('casbin');
} catch (e) {
	casbinWhy = `casbin could not be loaded: ${e.message.split('\n')[0]}`;
}

const CASBIN_CHECK_MODEL = `
[request_definition]
r = sub, obj, act, now
[policy_definition]
p = sub, obj, act, exp
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.sub == p.sub && r.obj == p.obj && r.act == p.act && r.now < p.exp
`;

const CASBIN_SCREEN_MODEL = `
[request_definition]
r = sub, obj, act, reason, ticket
[policy_definition]
p = obj, act, ticket
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.obj == p.obj && r.act == p.act && minLen(r.reason, 10) && regexMatch(r.ticket, p.ticket)
`;

async function casbinCheck(n) {
	const base = rss();
	const t0 = Date.now();
	const e = await casbin.newEnforcer(casbin.newModelFromString(CASBIN_CHECK_MODEL));
	const rows = new Array(n);
	for (let i = 0; i < n; i++) {
		const k = key(i);
		rows[i] = [k.principal, k.resource, k.action, String(k.exp)];
	}
	await e.addPolicies(rows);
	rows.length = 0;
	const loadMs = Date.now() - t0;
	const mem = (rss() - base) / n;
	const k0 = key(0);
	if (e.enforceSync('nobody', k0.resource, k0.action, T0) !== false ||
	    e.enforceSync(k0.principal, k0.resource, k0.action, k0.exp) !== false)
		throw new Error('casbin allowed a check it should deny');
	const m = measure((r) => {
		const k = key(r % n);
		return e.enforceSync(k.principal, k.resource, k.action, T0) === true;
	}, SECONDS);
	if (m.bad) throw new Error(`casbin answered ${m.bad} checks wrongly`);
	say(`peer casbin check: ${n} grants: p50 ${(m.p50_ns / 1e3).toFixed(2)} us, p99 ${(m.p99_ns / 1e3).toFixed(2)} us (${m.samples} timed calls); ${m.rate} checks/s; load ${loadMs} ms; ${mem.toFixed(0)} bytes/grant (RSS)`);
	result({ bench: 'peer-check', peer: 'casbin', grants: n, ...m, load_ms: loadMs, rss_bytes_per_grant: Math.round(mem) });
}

async function casbinScreen(n) {
	const e = await casbin.newEnforcer(casbin.newModelFromString(CASBIN_SCREEN_MODEL));
	await e.addFunction('minLen', (s, k) => typeof s === 'string' && s.length >= Number(k));
	const rows = [];
	for (let i = 0; i < n; i++) rows.push(['svc-' + String(i).padStart(4, '0'), 'deploy', '^(INC|CHG)-[0-9]+$']);
	await e.addPolicies(rows);
	const res = 'svc-' + String(n - 1).padStart(4, '0');
	if (e.enforceSync('alice', res, 'deploy', 'roll out the fix for INC-4242', 'XYZ-1') !== false ||
	    e.enforceSync('alice', res, 'deploy', 'short', 'INC-4242') !== false)
		throw new Error('casbin approved a request it should deny');
	const m = measure(() => e.enforceSync('alice', res, 'deploy', 'roll out the fix for INC-4242', 'INC-4242') === true, SECONDS);
	if (m.bad) throw new Error(`casbin screened ${m.bad} requests wrongly`);
	say(`peer casbin screen: ${n} rules: p50 ${(m.p50_ns / 1e3).toFixed(2)} us, p99 ${(m.p99_ns / 1e3).toFixed(2)} us; ${m.rate}/s`);
	result({ bench: 'peer-screen', peer: 'casbin', rules: n, ...m });
}

// ---- Cedar -----------------------------------------------------------------

let cedar = null, cedarWhy = '';
try {
	cedar = require('@cedar-policy/cedar-wasm/nodejs');
} catch (e) {
	cedarWhy = `@cedar-policy/cedar-wasm could not be loaded: ${e.message.split('\n')[0]}`;
}

let cedarLoad = null; // {n, ms, p50} of the largest grant set loaded

function cedarAsk(pset, principal, action, resource, context) {
	const a = cedar.statefulIsAuthorized({
		principal: { type: 'User', id: principal },
		action: { type: 'Action', id: action },
		resource: { type: 'Resource', id: resource },
		context,
		preparsedPolicySetId: pset,
		entities: [],
	});
	return a.type === 'success' && a.response.decision === 'allow';
}

function cedarCheck(n) {
	if (n > CEDAR_MAX) {
		let why = `not run: over the --cedar-max-grants ${CEDAR_MAX} of this run`;
		if (cedarLoad)
			why += `; loading ${cedarLoad.n} grant policies took ${(cedarLoad.ms / 1000).toFixed(1)} s here and one decision ${(cedarLoad.p50 / 1e6).toFixed(1)} ms (every policy is evaluated), so ${n} would take about ${(cedarLoad.ms * n / cedarLoad.n / 1000).toFixed(0)} s to load and ${(cedarLoad.p50 * n / cedarLoad.n / 1e9).toFixed(1)} s per decision`;
		say(`peer cedar check: ${n} grants: ${why}`);
		result({ bench: 'peer-check', peer: 'cedar', grants: n, skipped: why });
		return;
	}
	const base = rss();
	const t0 = Date.now();
	const pol = {};
	for (let i = 0; i < n; i++) {
		const k = key(i);
		pol['g' + i] = `permit(principal == User::"${k.principal}", action == Action::"${k.action}", resource == Resource::"${k.resource}") when { context.now < ${k.exp} };`;
	}
	const r = cedar.preparsePolicySet('grants', { staticPolicies: pol });
	if (r.type !== 'success') throw new Error('cedar: ' + JSON.stringify(r.errors).slice(0, 300));
	const loadMs = Date.now() - t0;
	for (const k of Object.keys(pol)) delete pol[k];
	const mem = (rss() - base) / n;
	const ctx = { now: T0 };
	const k0 = key(0);
	if (cedarAsk('grants', 'nobody', k0.action, k0.resource, ctx) ||
	    cedarAsk('grants', k0.principal, k0.action, k0.resource, { now: k0.exp }))
		throw new Error('cedar allowed a check it should deny');
	const m = measure((x) => {
		const k = key(x % n);
		return cedarAsk('grants', k.principal, k.action, k.resource, ctx);
	}, SECONDS);
	if (m.bad) throw new Error(`cedar answered ${m.bad} checks wrongly`);
	cedarLoad = { n, ms: loadMs, p50: m.p50_ns };
	say(`peer cedar check: ${n} grants: p50 ${(m.p50_ns / 1e3).toFixed(2)} us, p99 ${(m.p99_ns / 1e3).toFixed(2)} us (${m.samples} timed calls); ${m.rate} checks/s; load ${loadMs} ms; ${mem.toFixed(0)} bytes/grant (RSS)`);
	result({ bench: 'peer-check', peer: 'cedar', grants: n, ...m, load_ms: loadMs, rss_bytes_per_grant: Math.round(mem) });
	// free the set before the next, larger one
	cedar.preparsePolicySet('grants', { staticPolicies: {} });
}

function cedarScreen(n) {
	const pol = {};
	for (let i = 0; i < n; i++) {
		const s = String(i).padStart(4, '0');
		pol['rule-' + s] = `permit(principal, action == Action::"deploy", resource == Resource::"svc-${s}") when { context.reason_length >= 10 && (context.ticket like "INC-*" || context.ticket like "CHG-*") };`;
	}
	const id = 'rules' + n;
	const r = cedar.preparsePolicySet(id, { staticPolicies: pol });
	if (r.type !== 'success') throw new Error('cedar: ' + JSON.stringify(r.errors).slice(0, 300));
	const res = 'svc-' + String(n - 1).padStart(4, '0');
	const reason = 'roll out the fix for INC-4242';
	if (cedarAsk(id, 'alice', 'deploy', res, { reason_length: reason.length, ticket: 'XYZ-1' }) ||
	    cedarAsk(id, 'alice', 'deploy', res, { reason_length: 5, ticket: 'INC-4242' }))
		throw new Error('cedar approved a request it should deny');
	const m = measure(() => cedarAsk(id, 'alice', 'deploy', res, { reason_length: reason.length, ticket: 'INC-4242' }), SECONDS);
	if (m.bad) throw new Error(`cedar screened ${m.bad} requests wrongly`);
	say(`peer cedar screen: ${n} rules: p50 ${(m.p50_ns / 1e3).toFixed(2)} us, p99 ${(m.p99_ns / 1e3).toFixed(2)} us; ${m.rate}/s`);
	result({ bench: 'peer-screen', peer: 'cedar', rules: n, ...m });
	cedar.preparsePolicySet(id, { staticPolicies: {} });
}

// ---- run -------------------------------------------------------------------

async function guarded(peer, what, n, fn) {
	try {
		await fn();
	} catch (e) {
		const why = `failed: ${String(e.message || e).split('\n')[0]}`;
		say(`peer ${peer} ${what}: ${n}: ${why}`);
		result({ bench: 'peer-' + what, peer, [what === 'check' ? 'grants' : 'rules']: n, skipped: why });
	}
}

if (casbin) say(`casbin ${require('casbin/package.json').version}`);
if (cedar) say(`cedar-wasm ${cedar.getCedarVersion ? cedar.getCedarVersion() : '?'}`);

for (const n of RULES) {
	for (const [peer, mod, why, fn] of [['casbin', casbin, casbinWhy, casbinScreen], ['cedar', cedar, cedarWhy, cedarScreen]]) {
		if (!mod) { result({ bench: 'peer-screen', peer, rules: n, skipped: why }); continue; }
		await guarded(peer, 'screen', n, () => fn(n));
	}
}
for (const n of GRANTS) {
	for (const [peer, mod, why, fn] of [['casbin', casbin, casbinWhy, casbinCheck], ['cedar', cedar, cedarWhy, cedarCheck]]) {
		if (!mod) { result({ bench: 'peer-check', peer, grants: n, skipped: why }); continue; }
		await guarded(peer, 'check', n, () => fn(n));
	}
}
