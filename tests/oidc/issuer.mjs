// tests/oidc/issuer.mjs - a workload token issuer for the tests, in the
// shape of GitHub Actions' or GitLab CI's OpenID issuer, on 127.0.0.1.
// Node's built-in http and crypto only: no npm package.
//
//   node issuer.mjs --platform github|gitlab --port 0 --ready FILE
//
// Serves what jitgate fetches:
//   GET  /.well-known/openid-configuration   {issuer, jwks_uri, ...}
//   GET  /.well-known/jwks                   the public signing keys
// and, for the test only (a real issuer hands the token to the job):
//   POST /mint    {claims: {...}, unset: [...], exp_in, nbf_in, forge}
//                 -> the token as text. Claims are the platform's real set
//                 (overridden by `claims`, minus `unset`); forge: "none"
//                 (alg none), "hs256" (HMAC keyed with the public key PEM),
//                 "key" (another key under the current kid), "kid" (an
//                 unpublished key and kid)
//   POST /rotate  {drop: true|false} -> {kid}: a new RSA key signs from
//                 now on; the old one stays published unless drop
//   GET  /stats   {discovery, jwks}: how often each was fetched
// The ready file receives {"port":N,"issuer":"http://127.0.0.1:N"} once
// listening.
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";

const args = Object.fromEntries(
	process.argv.slice(2).reduce((acc, a, i, all) =>
		a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc, []));
const platform = args.platform || "github";
if (!["github", "gitlab"].includes(platform)) {
	console.error("issuer: --platform github|gitlab");
	process.exit(2);
}

let issuer = "";
const stats = { discovery: 0, jwks: 0 };
let serial = 0;

function newKey() {
	const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa",
		{ modulusLength: 2048 });
	serial += 1;
	// GitHub's kids are key thumbprints in hex; GitLab's base64url
	const thumb = crypto.createHash("sha256")
		.update(publicKey.export({ type: "spki", format: "der" })).digest();
	const kid = platform === "github"
		? thumb.toString("hex").slice(0, 40).toUpperCase()
		: thumb.toString("base64url");
	return { kid, publicKey, privateKey };
}

let keys = [newKey()]; // the last one signs
const current = () => keys[keys.length - 1];

const b64u = (buf) => Buffer.from(buf).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

// The claims each platform really sends (docs.github.com "About security
// hardening with OpenID Connect"; docs.gitlab.com "OpenID Connect (OIDC)
// Authentication Using ID Tokens").
function claimsOf(t) {
	const id = crypto.randomUUID();
	if (platform === "github")
		return {
			jti: id,
			sub: "repo:acme/payments:environment:prod",
			aud: "jitgate",
			ref: "refs/heads/main",
			sha: "5f2c1a0e9d8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a",
			repository: "acme/payments",
			repository_owner: "acme",
			repository_owner_id: "1001",
			repository_id: "2002",
			repository_visibility: "private",
			run_id: "7000000001",
			run_number: "42",
			run_attempt: "1",
			actor: "octocat",
			actor_id: "3003",
			workflow: "deploy",
			workflow_ref: "acme/payments/.github/workflows/deploy.yml@refs/heads/main",
			workflow_sha: "5f2c1a0e9d8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a",
			job_workflow_ref: "acme/payments/.github/workflows/deploy.yml@refs/heads/main",
			job_workflow_sha: "5f2c1a0e9d8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a",
			head_ref: "",
			base_ref: "",
			event_name: "push",
			ref_type: "branch",
			ref_protected: "true",
			environment: "prod",
			runner_environment: "github-hosted",
			iss: issuer,
			nbf: t - 5,
			exp: t + 300,
			iat: t,
		};
	return {
		namespace_id: "72",
		namespace_path: "acme",
		project_id: "20",
		project_path: "acme/payments",
		user_id: "5",
		user_login: "deployer",
		user_email: "deployer@example.com",
		user_access_level: "maintainer",
		pipeline_id: "574",
		pipeline_source: "push",
		job_id: "302",
		ref: "main",
		ref_type: "branch",
		ref_path: "refs/heads/main",
		ref_protected: "true",
		environment: "prod",
		environment_protected: "true",
		deployment_tier: "production",
		environment_action: "start",
		runner_id: 1,
		runner_environment: "self-hosted",
		sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
		project_visibility: "private",
		ci_config_ref_uri: "gitlab.example.com/acme/payments//.gitlab-ci.yml@refs/heads/main",
		ci_config_sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
		jti: id,
		iss: issuer,
		iat: t,
		nbf: t - 5,
		exp: t + 300,
		sub: "project_path:acme/payments:ref_type:branch:ref:main",
		aud: "jitgate",
	};
}

function sign(header, claims, key) {
	const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
	return `${input}.${b64u(crypto.sign("sha256", Buffer.from(input), key))}`;
}

function mint(req) {
	const t = now();
	const claims = { ...claimsOf(t), ...(req.claims || {}) };
	for (const k of req.unset || []) delete claims[k];
	if (req.exp_in !== undefined) claims.exp = t + req.exp_in;
	if (req.nbf_in !== undefined) claims.nbf = t + req.nbf_in;
	const k = current();
	const header = platform === "github"
		? { typ: "JWT", alg: "RS256", x5t: b64u(Buffer.from(k.kid, "hex")), kid: k.kid }
		: { kid: k.kid, typ: "JWT", alg: "RS256" };
	switch (req.forge || "") {
	case "none": {
		const h = { alg: "none", typ: "JWT", kid: k.kid };
		return `${b64u(JSON.stringify(h))}.${b64u(JSON.stringify(claims))}.`;
	}
	case "hs256": {
		const h = { alg: "HS256", typ: "JWT", kid: k.kid };
		const input = `${b64u(JSON.stringify(h))}.${b64u(JSON.stringify(claims))}`;
		const pem = k.publicKey.export({ type: "spki", format: "pem" });
		return `${input}.${crypto.createHmac("sha256", pem).update(input).digest("base64url")}`;
	}
	case "key":
		return sign(header, claims, newKey().privateKey);
	case "kid": {
		const other = newKey();
		return sign({ ...header, kid: other.kid, x5t: undefined }, claims,
			other.privateKey);
	}
	default:
		return sign(header, claims, k.privateKey);
	}
}

function jwks() {
	return {
		keys: keys.map((k) => ({
			...k.publicKey.export({ format: "jwk" }),
			kid: k.kid,
			use: "sig",
			alg: "RS256",
		})),
	};
}

function reply(res, code, body, type = "application/json") {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	res.writeHead(code, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
	res.end(text);
}

const server = http.createServer((req, res) => {
	let body = "";
	req.on("data", (c) => { body += c; if (body.length > 65536) req.destroy(); });
	req.on("end", () => {
		const url = req.url.split("?")[0];
		let input = {};
		try { input = body ? JSON.parse(body) : {}; } catch { return reply(res, 400, { error: "bad json" }); }
		if (req.method === "GET" && url === "/.well-known/openid-configuration") {
			stats.discovery += 1;
			return reply(res, 200, {
				issuer,
				jwks_uri: `${issuer}/.well-known/jwks`,
				subject_types_supported: ["public", "pairwise"],
				response_types_supported: ["id_token"],
				claims_supported: Object.keys(claimsOf(0)),
				id_token_signing_alg_values_supported: ["RS256"],
				scopes_supported: ["openid"],
			});
		}
		if (req.method === "GET" && url === "/.well-known/jwks") {
			stats.jwks += 1;
			return reply(res, 200, jwks());
		}
		if (req.method === "GET" && url === "/stats")
			return reply(res, 200, stats);
		if (req.method === "POST" && url === "/mint")
			return reply(res, 200, mint(input), "text/plain");
		if (req.method === "POST" && url === "/rotate") {
			keys.push(newKey());
			if (input.drop)
				keys = [current()];
			return reply(res, 200, { kid: current().kid });
		}
		return reply(res, 404, { error: "not found" });
	});
});

server.listen(Number(args.port || 0), "127.0.0.1", () => {
	const { port } = server.address();
	issuer = `http://127.0.0.1:${port}`;
	if (args.ready)
		fs.writeFileSync(args.ready, JSON.stringify({ port, issuer }));
	console.log(`issuer (${platform}) on ${issuer}`);
});
for (const sig of ["SIGTERM", "SIGINT"])
	process.on(sig, () => server.close(() => process.exit(0)));
