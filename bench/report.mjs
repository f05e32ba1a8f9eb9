// report.mjs - the tables of one bench/run, in Markdown.
//
//   node bench/report.mjs RESULTS.jsonl BUILD_DIR BENCH_TMP > bench/results/….md
//
// RESULTS.jsonl holds the RESULT lines of every benchmark of one run
// (see bench/run). This prints the machine, one table per benchmark with
// the peers beside jitgate and the ratios, and the targets of issue 8
// with each figure and "met" or "missed". It computes nothing it did not
// read: a figure that is missing shows as "—" (with the reason when the
// benchmark gave one), never as a guess.

import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const [file, build, tmp] = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === '1';
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
	try { return JSON.parse(l); } catch { return { bench: 'unparsed', line: l }; }
});
const find = (pred) => rows.find(pred);
const all = (bench) => rows.filter((r) => r.bench === bench);

function sh(cmd) {
	try { return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; }
}
function pkgVersion(p) {
	try { return JSON.parse(readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url))).version; } catch { return 'not installed'; }
}

const fmtNum = (n) => Math.round(n).toLocaleString('en-US');
function fmtNs(ns) {
	if (ns == null) return '—';
	if (ns < 1e3) return `${ns.toFixed(0)} ns`;
	if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
	if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
	return `${(ns / 1e9).toFixed(2)} s`;
}
const fmtRate = (r) => (r == null ? '—' : `${fmtNum(r)}/s`);
function ratio(a, b) {
	if (a == null || b == null || !b) return '—';
	const x = a / b;
	return x >= 10 ? `${x.toFixed(0)}×` : x >= 1 ? `${x.toFixed(1)}×` : `${x.toPrecision(2)}×`;
}
const k = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const skipped = (r) => (r && r.skipped ? r.skipped : null);

const out = [];
const p = (s = '') => out.push(s);

// ---- machine ---------------------------------------------------------------
const cpu = (sh("grep -m1 'model name' /proc/cpuinfo").split(':')[1] || os.cpus()[0]?.model || '?').trim();
const run = find((r) => r.bench === 'run') || {}, runEnd = find((r) => r.bench === 'run_end') || {};
const date = run.started || new Date().toISOString().replace(/\.\d+Z$/, 'Z');
p(`# jitgate benchmarks: ${os.hostname()}, ${date.slice(0, 10)}${quick ? ' (quick run)' : ''}`);
p();
p(`One run of \`${quick ? 'BENCH_QUICK=1 ' : ''}make bench\`; every figure below comes from it, peers side by side.` +
  (quick ? ' **Quick run:** smaller sizes and shorter measurements than the full run; do not quote these against the targets.' : ''));
p();
p('| machine | |');
p('|---|---|');
p(`| date | ${date}${runEnd.ended ? ` to ${runEnd.ended}` : ''} |`);
p(`| host | ${os.hostname()} |`);
p(`| nproc | ${sh('nproc') || os.cpus().length} |`);
p(`| CPU | ${cpu} |`);
p(`| kernel | ${sh('uname -srm')} |`);
p(`| memory | ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB |`);
if (run.load) p(`| load average (1, 5, 15 min) | ${run.load} at the start, ${runEnd.load || '?'} at the end (other work on the machine shows here) |`);
p(`| OS | ${sh('. /etc/os-release && echo "$PRETTY_NAME"')} |`);
p(`| disk of the databases | ${sh(`df -hT ${tmp} | tail -n 1 | awk '{print $1" ("$2")"}'`)} |`);
p(`| jitgate | ${sh('git rev-parse --short HEAD')}${sh('git status --porcelain -- src') ? ' + uncommitted changes in src/' : ''}, built with ${sh('cc --version | head -n 1')} -O2 |`);
p(`| SQLite | ${sh('pkg-config --modversion sqlite3')} (WAL, group commit: durable as synchronous=FULL) |`);
p(`| peers | casbin ${pkgVersion('casbin')}, @cedar-policy/cedar-wasm ${pkgVersion('@cedar-policy/cedar-wasm')}, @cerbos/cerbos-linux-x64 ${pkgVersion('@cerbos/cerbos-linux-x64')}; Node ${process.version} |`);
p(`| load tools | ${sh('wrk -v 2>&1 | head -n 1 | cut -d" " -f1,2')}, ${sh('nginx -v 2>&1 | sed "s/.*: //"')} |`);
p();

const errors = all('error');
if (errors.length) {
	p('**Steps that failed in this run:**');
	for (const e of errors) p(`- ${e.step}: ${e.why}`);
	p();
}

// ---- 1. check ----------------------------------------------------------------
const checks = all('check').sort((a, b) => a.grants - b.grants);
const peerCheck = (peer, n) => find((r) => r.bench === 'peer-check' && r.peer === peer && r.grants === n);
p('## 1. Decisions in process');
p();
p('### check: "may P do A on R now?" with N active grants');
p();
p('jitgate: `jg_gate_check` through a real gate whose index of live grants was loaded from a SQLite store (temp dir), random existing grants, every answer checked (allow). ' +
  'casbin: one policy line per grant, `enforceSync`. Cedar: one policy per grant, preparsed, `statefulIsAuthorized`. ' +
  'Latency: a clock read around each call; rate: a loop with no clock inside (or the timed calls, for calls over 1 ms). Ratio: jitgate\'s rate ÷ the peer\'s.');
p();
p('| active grants | jitgate p50 | p99 | checks/s | deny p50 | casbin p50 | checks/s | jitgate ÷ casbin | Cedar p50 | checks/s | jitgate ÷ Cedar |');
p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const grantSizes = [...new Set([...checks.map((c) => c.grants), ...all('peer-check').map((r) => r.grants)])].sort((a, b) => a - b);
const notes = [];
for (const n of grantSizes) {
	const c = checks.find((x) => x.grants === n);
	const cells = c ? [fmtNs(c.p50_ns), `${fmtNs(c.p99_ns)}${c.samples < 1000 ? ` (${c.samples} calls)` : ''}`, fmtRate(c.rate), fmtNs(c.deny_p50_ns)] : ['—', '—', '—', '—'];
	for (const peer of ['casbin', 'cedar']) {
		const r = peerCheck(peer, n);
		if (r && !skipped(r)) cells.push(fmtNs(r.p50_ns), fmtRate(r.rate), ratio(c?.rate, r.rate));
		else {
			cells.push('not run', '—', '—');
			if (r) notes.push(`${peer === 'cedar' ? 'Cedar' : 'casbin'}, ${k(n)} grants: ${r.skipped}`);
		}
	}
	p(`| ${k(n)} | ${cells.join(' | ')} |`);
}
p();
for (const s of notes) p(`- ${s}`);
if (notes.length) p();

p('### memory per active grant');
p();
p('jitgate answers from its in-memory index of live grants. "Index" is the bytes the index says it uses (its slot array and live entries) ÷ N; ' +
  '"RSS growth" is the process\'s RSS growth while loading the index ÷ N (at 1k grants mostly page granularity). ' +
  '"Store pages" is the size of the grants table and its indexes (SQLite `dbstat`) ÷ N: what the grants occupy on disk. ' +
  'For the peers, the RSS growth of Node after loading the grants (after a forced GC) ÷ N.');
p();
p('| active grants | jitgate index | jitgate RSS growth | jitgate store pages | casbin RSS growth | Cedar RSS growth |');
p('|---:|---:|---:|---:|---:|---:|');
for (const n of grantSizes) {
	const c = checks.find((x) => x.grants === n);
	const m = (peer) => { const r = peerCheck(peer, n); return r && !skipped(r) ? (r.rss_bytes_per_grant < 0 ? '≈ 0 (below noise)' : `${fmtNum(r.rss_bytes_per_grant)} B`) : 'not run'; };
	const b = (v) => (c ? `${v.toFixed(0)} B` : '—');
	p(`| ${k(n)} | ${b(c?.index_bytes_per_grant)} | ${b(c?.index_rss_bytes_per_grant)} | ${b(c?.page_bytes_per_grant)} | ${m('casbin')} | ${m('cedar')} |`);
}
p();

// ---- screening ---------------------------------------------------------------
const screens = all('screen').sort((a, b) => a.rules - b.rules);
const peerScreen = (peer, n) => find((r) => r.bench === 'peer-screen' && r.peer === peer && r.rules === n);
const http = all('http');
const cerbosC1 = (n) => http.find((r) => r.target === `cerbos-${n}-c1`);
p('### screening a new request with N rules, the matching rule last');
p();
p('jitgate: `jg_policy_screen` on a policy built as YAML and parsed with `jg_policy_parse`; rule i matches resource svc-i and action deploy, checks a justification (≥ 10 characters) and a ticket pattern `(INC|CHG)-[0-9]+`, decides auto. ' +
  'The same rules for casbin (policy lines + matcher with `regexMatch`), Cedar (one policy per rule; `like` for the pattern, the length passed in) and Cerbos (one resource policy, CEL conditions). ' +
  'Cerbos is a server, so its figure is one request at a time over HTTP on loopback (wrk -t1 -c1): it includes a round trip the in-process figures do not have.');
p();
p('| rules | jitgate p50 | p99 | screenings/s | casbin p50 | /s | jitgate ÷ casbin | Cedar p50 | /s | jitgate ÷ Cedar | Cerbos p50 (HTTP) | /s | jitgate ÷ Cerbos |');
p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const snotes = [];
for (const s of screens) {
	const cells = [fmtNs(s.p50_ns), fmtNs(s.p99_ns), fmtRate(s.rate)];
	for (const peer of ['casbin', 'cedar']) {
		const r = peerScreen(peer, s.rules);
		if (r && !skipped(r)) cells.push(fmtNs(r.p50_ns), fmtRate(r.rate), ratio(s.rate, r.rate));
		else { cells.push('not run', '—', '—'); if (r) snotes.push(`${peer}, ${s.rules} rules: ${r.skipped}`); }
	}
	const cb = cerbosC1(s.rules);
	if (cb) cells.push(fmtNs(cb.p50_ns), fmtRate(cb.rate), ratio(s.rate, cb.rate));
	else cells.push('not run', '—', '—');
	p(`| ${fmtNum(s.rules)} | ${cells.join(' | ')} |`);
}
p();
const cbSkip = http.find((r) => r.target === 'cerbos' && r.skipped);
if (cbSkip) snotes.push(`Cerbos: ${cbSkip.skipped}`);
for (const s of snotes) p(`- ${s}`);
if (snotes.length) p();

// ---- 3. HTTP -----------------------------------------------------------------
const h = (t) => http.find((r) => r.target === t && !r.skipped);
const ng = h('nginx'), jg = h('jitgate'), jgw = h('jitgate-workload'), jgs = h('jitgate-tls'), cb = h('cerbos'), cbk = h('cerbos-kinds');
p('## 3. HTTP check throughput');
p();
p(`wrk -t2 -c32 (keep-alive), ${jg ? jg.seconds.toFixed(0) : '?'} s each, after 1 s of warm-up, one target at a time, all on 127.0.0.1, same machine as wrk. ` +
  'nginx: 2 workers, `return 200 "ok"` (2 bytes), access log off: the ceiling of this machine. ' +
  'jitgate: `jitgate serve` (4 worker threads, the default; one log line per request), `POST /v1/check` with a bearer token, the 1,000-rule policy loaded, one active grant, answer allow; over TLS: a second such server with `--tls-cert` (P-256 certificate; wrk negotiates TLS 1.3 once per connection, then keeps it). ' +
  'Cerbos: `POST /api/check/resources` (log level warn: no log line per request, which doubles its rate here; jitgate does log each request), the same 1,000 rules written two ways: one resource policy of 1,000 rules told apart by a condition on the resource id (the last one allows; Cerbos evaluates the conditions in turn), and 1,000 resource kinds of one rule each (Cerbos looks the policy up by kind).');
p();
p('| target | requests/s | p50 | p99 | errors | non-2xx | jitgate ÷ target |');
p('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, r] of [['nginx, 2-byte static', ng], ['jitgate POST /v1/check', jg], ['jitgate POST /v1/check, workload JWT (RS256) as the bearer', jgw], ['jitgate POST /v1/check over TLS', jgs], ['Cerbos check, 1 policy of 1,000 rules', cb], ['Cerbos check, 1,000 kinds of 1 rule', cbk]]) {
	if (r) p(`| ${name} | ${fmtNum(r.rate)} | ${fmtNs(r.p50_ns)} | ${fmtNs(r.p99_ns)} | ${r.errors} | ${r.non2xx} | ${r === jg ? '1' : ratio(jg?.rate, r.rate)} |`);
	else p(`| ${name} | not run | | | | | |`);
}
p();
const c1 = (t) => http.find((r) => r.target === `${t}-c1`);
if (c1('jitgate')) {
	p(`One connection, one request at a time (wrk -t1 -c1): nginx ${fmtNs(c1('nginx')?.p50_ns)} p50 (${fmtRate(c1('nginx')?.rate)}), ` +
	  `jitgate ${fmtNs(c1('jitgate')?.p50_ns)} p50 (${fmtRate(c1('jitgate')?.rate)})` +
	  (c1('jitgate-workload') ? `, jitgate with a workload JWT ${fmtNs(c1('jitgate-workload').p50_ns)} p50 (${fmtRate(c1('jitgate-workload').rate)})` : '') +
	  (c1('jitgate-tls') ? `, jitgate over TLS ${fmtNs(c1('jitgate-tls').p50_ns)} p50 (${fmtRate(c1('jitgate-tls').rate)})` : '') +
	  (cerbosC1(1000) ? `, Cerbos (1 policy of 1,000 rules) ${fmtNs(cerbosC1(1000).p50_ns)} p50 (${fmtRate(cerbosC1(1000).rate)})` : '') +
	  (c1('cerbos-kinds') ? `, Cerbos (1,000 kinds of 1 rule) ${fmtNs(c1('cerbos-kinds').p50_ns)} p50 (${fmtRate(c1('cerbos-kinds').rate)}).` : '.'));
	p();
}

// ---- 4. lifecycle ------------------------------------------------------------
const fss = all('fsync');
const life = all('lifecycle');
const agg = (rs, count) => (rs.length ? rs.reduce((a, r) => a + count(r), 0) / rs.reduce((a, r) => a + r.seconds, 0) : null);
const fsRate = agg(fss, (r) => r.samples);
const l1s = life.filter((r) => r.clients === 1), l32s = life.filter((r) => r.clients === 32);
const l1 = l1s.length ? { tx_rate: 2 * agg(l1s, (r) => r.lifecycles), rate: agg(l1s, (r) => r.lifecycles) } : null;
const l32 = l32s.length ? { tx_rate: 2 * agg(l32s, (r) => r.lifecycles), rate: agg(l32s, (r) => r.lifecycles) } : null;
const pct = (a, b) => (a != null && b ? `${(100 * a / b).toFixed(0)}%` : '—');
p('## 4. Durable lifecycle');
p();
p('Through the gate directly (no HTTP): `jg_gate_request_create` (a rule with one approval step: pending) then `jg_gate_review` by a member of the step\'s group (approved, grant issued), both audited, SQLite WAL with group commit (each commit acknowledged only after an fdatasync of the WAL that began after it), a fresh database in a temp dir on the same disk as the fsync test. ' +
  'Each lifecycle is two committed transactions (state changes): create, and approve + grant. The limit: one writer appending a 512-byte record and calling fsync(2) after each, same disk. ' +
  `The three ran in ${fss.length} interleaved rounds (fsync, 1 client, 32 clients) so that a drifting disk weighs on all alike; "all rounds" adds up counts and times.`);
p();
p('| round | fsync\'d appends/s (p50, p99) | 1 client: commits/s (lifecycle p50, p99) | ÷ limit | 32 clients: commits/s (lifecycle p50, p99) | ÷ limit |');
p('|---|---:|---:|---:|---:|---:|');
for (let i = 0; i < Math.max(fss.length, l1s.length, l32s.length); i++) {
	const f = fss[i], a = l1s[i], b = l32s[i];
	p(`| ${i + 1} | ${f ? `${fmtNum(f.rate)} (${fmtNs(f.p50_ns)}, ${fmtNs(f.p99_ns)})` : '—'} | ${a ? `${fmtNum(a.tx_rate)} (${fmtNs(a.p50_ns)}, ${fmtNs(a.p99_ns)})` : '—'} | ${pct(a?.tx_rate, f?.rate)} | ${b ? `${fmtNum(b.tx_rate)} (${fmtNs(b.p50_ns)}, ${fmtNs(b.p99_ns)})` : '—'} | ${pct(b?.tx_rate, f?.rate)} |`);
}
p(`| **all rounds** | **${fsRate != null ? fmtNum(fsRate) : '—'}** | **${l1 ? fmtNum(l1.tx_rate) : '—'}** (${l1 ? fmtNum(l1.rate) : '—'} lifecycles/s) | **${pct(l1?.tx_rate, fsRate)}** | **${l32 ? fmtNum(l32.tx_rate) : '—'}** (${l32 ? fmtNum(l32.rate) : '—'} lifecycles/s) | **${pct(l32?.tx_rate, fsRate)}** |`);
p();

// ---- 5. audit, memory ----------------------------------------------------------
const au = find((r) => r.bench === 'audit');
const idle = find((r) => r.bench === 'idle_rss'), loaded = find((r) => r.bench === 'loaded_rss');
p('## 5. Audit verify and server memory');
p();
p('| | figure |');
p('|---|---:|');
if (au) p(`| \`jg_audit_verify\` of ${fmtNum(au.events)} chained events (written through the store ops in 50k-event transactions) | ${au.verify_s.toFixed(2)} s (${fmtRate(au.rate)} events) |`);
const rp = find((r) => r.bench === 'report');
if (rp) p(`| compliance report over a year of ${fmtNum(rp.events)} events (${fmtNum(rp.grants)} grants): gather (one walk + chain verify) ${rp.gather_s.toFixed(2)} s, HTML ${rp.html_s.toFixed(2)} s (${rp.html_mb.toFixed(1)} MB) | ${rp.total_html_s.toFixed(2)} s (${rp.cpu_s.toFixed(2)} s CPU) |`);
if (idle) p(`| idle RSS of \`jitgate serve\` (example policy, after start-up and 20 requests) | ${(idle.rss_kib / 1024).toFixed(1)} MiB |`);
if (loaded) p(`| RSS of \`jitgate serve\` after the wrk runs (1,000-rule policy) | ${(loaded.rss_kib / 1024).toFixed(1)} MiB |`);
p();

// ---- 6. checks while actions run ----------------------------------------------
const xl = find((r) => r.bench === 'exec_load');
if (xl) {
	p('## 6. /v1/check while the gateway runs actions');
	p();
	p(`| POST /v1/check, one connection, ${fmtNum(xl.calls)} calls | p50 | p99 |`);
	p('|---|---:|---:|');
	p(`| idle | ${xl.idle_p50_ms.toFixed(3)} ms | ${xl.idle_p99_ms.toFixed(3)} ms |`);
	p(`| eight \`sleep\` actions running (4 HTTP workers) | ${xl.busy_p50_ms.toFixed(3)} ms | ${xl.busy_p99_ms.toFixed(3)} ms |`);
	p();
}

// ---- targets -------------------------------------------------------------------
p('## Targets (issue 8)');
p();
p('| target | this run | |');
p('|---|---|---|');
const verdict = (ok) => (ok == null ? 'not measured' : ok ? '**met**' : '**missed**');
const big = checks[checks.length - 1], small = checks[0];
if (checks.length) {
	const worst = Math.max(...checks.map((c) => c.p50_ns));
	p(`| check p50 ≤ 1 µs | ${checks.map((c) => `${k(c.grants)}: ${fmtNs(c.p50_ns)}`).join(', ')} | ${verdict(worst <= 1000)} |`);
	const flat = big.p50_ns / small.p50_ns;
	p(`| check flat within 2× from 1k to ${quick ? '1M (quick run: to ' + k(big.grants) + ')' : '1M'} | p50 ${k(big.grants)} ÷ ${k(small.grants)} = ${flat.toFixed(1)}× | ${verdict(flat <= 2)} |`);
}
const s1k = screens.find((s) => s.rules === 1000);
if (s1k) p(`| screening ≤ 20 µs with 1,000 rules | p50 ${fmtNs(s1k.p50_ns)} (p99 ${fmtNs(s1k.p99_ns)}) | ${verdict(s1k.p50_ns <= 20000)} |`);
if (big) p(`| ≤ 300 bytes per active grant | index ${big.index_bytes_per_grant.toFixed(0)} B/grant at ${k(big.grants)} (RSS growth loading it ${big.index_rss_bytes_per_grant.toFixed(0)} B/grant) | ${verdict(Math.max(big.index_bytes_per_grant, big.index_rss_bytes_per_grant) <= 300)} |`);
if (jg && ng) p(`| HTTP check ≥ 70% of nginx | ${fmtNum(jg.rate)} ÷ ${fmtNum(ng.rate)} = ${(100 * jg.rate / ng.rate).toFixed(0)}% | ${verdict(jg.rate / ng.rate >= 0.7)} |`);
else p('| HTTP check ≥ 70% of nginx | not measured | not measured |');
if (jg && jgw) p(`| workload JWT within 10% of jitgate tokens (issue 13) | ${fmtNum(jgw.rate)} ÷ ${fmtNum(jg.rate)} = ${(100 * jgw.rate / jg.rate).toFixed(0)}% | ${verdict(jgw.rate / jg.rate >= 0.9)} |`);
if (jg && cb) p(`| HTTP check ≥ 30× Cerbos (1,000 rules) | one policy of 1,000 rules: ${fmtNum(jg.rate)} ÷ ${fmtNum(cb.rate)} = ${(jg.rate / cb.rate).toFixed(1)}×` +
	(cbk ? `; 1,000 kinds of one rule: ${fmtNum(jg.rate)} ÷ ${fmtNum(cbk.rate)} = ${(jg.rate / cbk.rate).toFixed(1)}× | ${verdict(jg.rate / cb.rate >= 30)} (one policy); ${verdict(jg.rate / cbk.rate >= 30)} (kinds) |` : ` | ${verdict(jg.rate / cb.rate >= 30)} |`));
else p(`| HTTP check ≥ 30× Cerbos (1,000 rules) | not measured${cbSkip ? ': ' + cbSkip.skipped : ''} | not measured |`);
if (l1 && fsRate) p(`| lifecycle, 1 client ≥ 80% of the fsync limit | ${fmtNum(l1.tx_rate)} commits/s ÷ ${fmtNum(fsRate)} fsyncs/s = ${(100 * l1.tx_rate / fsRate).toFixed(0)}% | ${verdict(l1.tx_rate / fsRate >= 0.8)} |`);
if (l32) p(`| lifecycle, 32 clients ≥ 10,000 state changes/s | ${fmtNum(l32.tx_rate)}/s | ${verdict(l32.tx_rate >= 10000)} |`);
if (au) {
	const proj = au.verify_s * 1e6 / au.events;
	if (au.events === 1e6) p(`| audit verify of 1M events ≤ 2 s | ${au.verify_s.toFixed(2)} s | ${verdict(au.verify_s <= 2)} |`);
	else p(`| audit verify of 1M events ≤ 2 s | ${fmtNum(au.events)} events in ${au.verify_s.toFixed(2)} s; 1M at that rate ≈ ${proj.toFixed(1)} s (projected) | ${verdict(proj <= 2)} (projected) |`);
}
if (rp) {
	const proj = rp.total_html_s * 1e6 / rp.events;
	if (rp.events === 1e6) p(`| report over 1M events < 10 s (issue 15) | ${rp.total_html_s.toFixed(2)} s | ${verdict(rp.total_html_s < 10)} |`);
	else p(`| report over 1M events < 10 s (issue 15) | ${fmtNum(rp.events)} events in ${rp.total_html_s.toFixed(2)} s; 1M at that rate ≈ ${proj.toFixed(1)} s (projected) | ${verdict(proj < 10)} (projected) |`);
}
if (idle) p(`| idle RSS ≤ 15 MB | ${(idle.rss_kib / 1024).toFixed(1)} MiB (${fmtNum(idle.rss_kib * 1024)} bytes) | ${verdict(idle.rss_kib * 1024 <= 15e6)} |`);
p();
const unparsed = all('unparsed');
if (unparsed.length) { p('Unreadable result lines:'); for (const u of unparsed) p(`    ${u.line}`); p(); }
process.stdout.write(out.join('\n') + '\n');
