// tests/oidc/provider.mjs - a real OpenID Provider (the certified npm
// package oidc-provider) on loopback, for jitgate's sign-in tests.
//
// What it offers the tests:
// - a confidential client for jitgate (client_secret_basic, PKCE S256
//   required, the authorization code and device flows), auth_time always
//   in ID tokens, the claims email, preferred_username and groups;
// - users in groups, with and without a second factor (see USERS);
// - a login page simple enough for a browser test or curl to fill:
//   #username, #password, #mfa (optional "MFA code"), #login. A right MFA
//   code makes the login amr ["pwd","otp"], acr "mfa"; without one amr
//   ["pwd"], acr "pwd". Consent is implied (jitgate is first-party);
// - key rotation on demand: POST /admin/rotate or SIGUSR1 (a new signing
//   key first, the old one still published unless ?drop=1);
// - crafted ID tokens for the bad-input tests: POST /admin/tamper with
//   {"set": {claim: value}, "unset": ["claim"]} changes the ID token of the
//   next token answer (re-signed with the provider's real key), once.
//
// Never reachable beyond loopback: it listens on 127.0.0.1 only.
//
// Usage: node provider.mjs --port N [--ready FILE] [--redirect URL]...
//        [--client-id ID] [--client-secret SECRET]
// Env (used when the flag is absent): OIDC_PORT, OIDC_READY, OIDC_REDIRECTS
// (comma-separated), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET.
// Port 0 lets the system pick one; the ready file (written once listening)
// holds {"port": N, "issuer": "http://127.0.0.1:N"}.
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';
import * as jose from 'jose';

const { values: args } = parseArgs({
	options: {
		port: { type: 'string' },
		ready: { type: 'string' },
		redirect: { type: 'string', multiple: true },
		'client-id': { type: 'string' },
		'client-secret': { type: 'string' },
	},
});
const env = process.env;
const port = Number(args.port ?? env.OIDC_PORT ?? 0);
const readyFile = args.ready ?? env.OIDC_READY;
const redirects = args.redirect ?? (env.OIDC_REDIRECTS || '').split(',').filter(Boolean);
const clientId = args['client-id'] ?? env.OIDC_CLIENT_ID ?? 'jitgate';
const clientSecret = args['client-secret'] ?? env.OIDC_CLIENT_SECRET ?? 'jitgate-test-secret';
// No --redirect: any loopback jitgate callback is allowed (the tests pick
// jitgate's port after the provider's), see makeProvider.
const anyLoopback = redirects.length === 0;
if (anyLoopback)
	redirects.push('http://127.0.0.1/v1/auth/oidc/callback');
const LOOPBACK_CALLBACK = /^https?:\/\/127\.0\.0\.1:[0-9]+\/v1\/auth\/oidc\/callback$/;

// Every user's password is "<name>-pw". otp: the user's MFA code (a user
// without one cannot pass a second factor). dave's groups claim is a
// string, not a list; erin's email is outside the usual allowed domain.
export const USERS = {
	alice: { email: 'alice@example.com', groups: ['dba'] },
	bob: { email: 'bob@example.com', groups: ['security'] },
	carol: { email: 'carol@example.com', groups: ['security'], otp: '123456' },
	dave: { email: 'dave@example.com', groups: 'dba' },
	erin: { email: 'erin@elsewhere.test', groups: ['dba'] },
	frank: { email: 'frank@example.com', groups: ['jitgate-admins', 'auditors'], otp: '654321' },
};

async function newKey() {
	const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
	const jwk = await jose.exportJWK(privateKey);
	jwk.kid = `k-${crypto.randomBytes(6).toString('hex')}`;
	jwk.alg = 'RS256';
	jwk.use = 'sig';
	return jwk;
}

let keys = [await newKey()]; // keys[0] signs
let tamper = null;           // armed by /admin/tamper, used once

function html(title, body) {
	return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
		`<body><h1>${title}</h1>${body}</body></html>`;
}

function esc(s) {
	return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, params, error) {
	const why = params.prompt === 'login' || params.max_age !== undefined ?
		'<p id="reauth">Sign in again to confirm it is you.</p>' : '';
	return html('Sign in to the test provider',
		`${why}${error ? `<p id="error">${esc(error)}</p>` : ''}` +
		`<form method="post" action="/interaction/${uid}/login">` +
		'<label>Username <input id="username" name="username" autocomplete="off"></label><br>' +
		'<label>Password <input id="password" name="password" type="password"></label><br>' +
		'<label>MFA code <input id="mfa" name="mfa_code" autocomplete="off"></label><br>' +
		'<button id="login" type="submit">Sign in</button></form>');
}

function makeProvider(issuer) {
	const p = new Provider(issuer, {
		clients: [{
			client_id: clientId,
			client_secret: clientSecret,
			redirect_uris: redirects,
			grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
			response_types: ['code'],
			token_endpoint_auth_method: 'client_secret_basic',
			require_auth_time: true,
		}],
		jwks: { keys },
		cookies: { keys: ['jitgate-test-provider-cookie-key'] },
		pkce: { methods: ['S256'], required: () => true },
		acrValues: ['pwd', 'mfa'],
		conformIdTokenClaims: false, // email and groups in the ID token
		claims: {
			acr: null, amr: null, auth_time: null, sid: null,
			openid: ['sub', 'acr', 'amr'],
			email: ['email', 'email_verified'],
			profile: ['preferred_username', 'name', 'groups'],
			groups: ['groups'],
		},
		features: {
			devInteractions: { enabled: false },
			deviceFlow: { enabled: true },
			userinfo: { enabled: true },
			revocation: { enabled: true },
		},
		interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
		async findAccount(ctx, sub) {
			const u = USERS[sub];
			if (!u)
				return undefined;
			return {
				accountId: sub,
				async claims() {
					return {
						sub, email: u.email, email_verified: true,
						preferred_username: sub, name: sub, groups: u.groups,
					};
				},
			};
		},
		// jitgate is first-party: consent is implied for what it asks.
		async loadExistingGrant(ctx) {
			const grantId = ctx.oidc.result?.consent?.grantId ||
				ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
			if (grantId) {
				const found = await ctx.oidc.provider.Grant.find(grantId);
				if (found)
					return found;
			}
			const grant = new ctx.oidc.provider.Grant({
				clientId: ctx.oidc.client.clientId,
				accountId: ctx.oidc.session.accountId,
			});
			grant.addOIDCScope('openid email profile groups');
			await grant.save();
			return grant;
		},
	});
	if (anyLoopback) {
		const allowed = p.Client.prototype.redirectUriAllowed;
		p.Client.prototype.redirectUriAllowed = function loopback(uri) {
			return LOOPBACK_CALLBACK.test(uri) || allowed.call(this, uri);
		};
	}
	// A tamper armed by the test rewrites the next ID token (real key).
	p.use(async (ctx, next) => {
		await next();
		if (!tamper || ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token)
			return;
		const t = tamper;
		tamper = null;
		const claims = jose.decodeJwt(ctx.body.id_token);
		Object.assign(claims, t.set || {});
		for (const c of t.unset || [])
			delete claims[c];
		const key = await jose.importJWK(keys[0], 'RS256');
		ctx.body = { ...ctx.body, id_token: await new jose.CompactSign(
			new TextEncoder().encode(JSON.stringify(claims)))
			.setProtectedHeader({ alg: 'RS256', kid: keys[0].kid, typ: 'JWT' })
			.sign(key) };
	});
	return p;
}

function readBody(req) {
	return new Promise((resolve, reject) => {
		let s = '';
		req.setEncoding('utf8');
		req.on('data', (d) => {
			s += d;
			if (s.length > 65536)
				reject(new Error('body too large'));
		});
		req.on('end', () => resolve(s));
		req.on('error', reject);
	});
}

function send(res, status, type, body) {
	res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
	res.end(body);
}

let provider;
let handler; // provider.callback(), made once per provider
let issuer;

async function rotate(drop) {
	keys = [await newKey(), ...(drop ? [] : keys.slice(0, 1))];
	provider = makeProvider(issuer); // sessions live on (shared memory adapter)
	handler = provider.callback();
	return keys[0].kid;
}

async function interaction(req, res, url) {
	const m = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
	const details = await provider.interactionDetails(req, res);
	if (!m || details.uid !== m[1])
		return send(res, 400, 'text/html', html('Bad interaction', ''));
	if (req.method === 'GET')
		return send(res, 200, 'text/html; charset=utf-8', loginPage(details.uid, details.params));
	const form = new URLSearchParams(await readBody(req));
	const name = form.get('username') || '';
	const u = Object.hasOwn(USERS, name) ? USERS[name] : null;
	const code = (form.get('mfa_code') || '').trim();
	let error = null;
	if (!u || form.get('password') !== `${name}-pw`)
		error = 'Wrong username or password.';
	else if (code && (!u.otp || code !== u.otp))
		error = 'Wrong MFA code.';
	if (error)
		return send(res, 200, 'text/html; charset=utf-8', loginPage(details.uid, details.params, error));
	const mfa = code !== '';
	await provider.interactionFinished(req, res, {
		login: { accountId: name, amr: mfa ? ['pwd', 'otp'] : ['pwd'], acr: mfa ? 'mfa' : 'pwd' },
	}, { mergeWithLastSubmission: false });
}

async function admin(req, res, url) {
	if (req.method !== 'POST')
		return send(res, 405, 'application/json', '{"error":"POST only"}');
	if (url.pathname === '/admin/rotate') {
		const kid = await rotate(url.searchParams.get('drop') === '1');
		return send(res, 200, 'application/json', JSON.stringify({ kid }));
	}
	if (url.pathname === '/admin/tamper') {
		tamper = JSON.parse((await readBody(req)) || '{}');
		return send(res, 200, 'application/json', '{"armed":true}');
	}
	return send(res, 404, 'application/json', '{"error":"no such admin route"}');
}

const server = http.createServer((req, res) => {
	const url = new URL(req.url, issuer);
	let work;
	if (url.pathname.startsWith('/interaction/'))
		work = interaction(req, res, url);
	else if (url.pathname.startsWith('/admin/'))
		work = admin(req, res, url);
	else
		return handler(req, res);
	work.catch((e) => {
		if (!res.headersSent)
			send(res, 400, 'text/html; charset=utf-8', html('Error', `<p>${esc(e.message)}</p>`));
	});
});

server.listen(port, '127.0.0.1', () => {
	const actual = server.address().port;
	issuer = `http://127.0.0.1:${actual}`;
	provider = makeProvider(issuer);
	handler = provider.callback();
	process.on('SIGUSR1', () => { rotate(false); });
	const info = JSON.stringify({ port: actual, issuer });
	if (readyFile) {
		fs.writeFileSync(`${readyFile}.tmp`, info);
		fs.renameSync(`${readyFile}.tmp`, readyFile);
	}
	console.log(`oidc provider ${info}`);
});
process.on('SIGTERM', () => process.exit(0)); // all state is in memory anyway
