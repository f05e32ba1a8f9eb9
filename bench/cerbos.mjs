// cerbos.mjs - write a Cerbos server configuration and the screening
// policies of bench_screen.c in Cerbos's terms.
//
//   node bench/cerbos.mjs DIR HTTP_PORT GRPC_PORT N [N…]
//
// For each N: one resource policy for resource kind svcN with N rules,
// rule i allowing action deploy on resource id svc-i (any role) when
// size(reason) >= 10 and the ticket matches ^(INC|CHG)-[0-9]+$ (CEL) -
// the same rules as jitgate's, the matching one last: DIR/policies/svcN.yaml.
// And the largest N once more the way Cerbos indexes policies: N resource
// kinds svc-0000 … with one rule each (DIR/policies/kinds/). Then
// DIR/config.yaml: loopback only, audit and telemetry off, policies from
// disk, not watched.

import { mkdirSync, writeFileSync } from 'node:fs';

const [dir, httpPort, grpcPort, ...counts] = process.argv.slice(2);
if (!dir || !httpPort || !grpcPort || !counts.length) {
	console.error('usage: node bench/cerbos.mjs DIR HTTP_PORT GRPC_PORT N [N…]');
	process.exit(2);
}
mkdirSync(`${dir}/policies`, { recursive: true });
for (const c of counts) {
	const n = Number(c);
	let y = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: svc${n}
  rules:
`;
	for (let i = 0; i < n; i++) {
		const s = String(i).padStart(4, '0');
		y += `    - name: rule-${s}
      actions: ["deploy"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          expr: request.resource.id == "svc-${s}" && size(request.resource.attr.reason) >= 10 && request.resource.attr.ticket.matches("^(INC|CHG)-[0-9]+$")
`;
	}
	writeFileSync(`${dir}/policies/svc${n}.yaml`, y);
}
// The largest N once more, as Cerbos would index it: N resource kinds
// svc-0000 … (the resource's name as its kind), one policy of one rule each.
const max = Math.max(...counts.map(Number));
mkdirSync(`${dir}/policies/kinds`, { recursive: true });
for (let i = 0; i < max; i++) {
	const s = String(i).padStart(4, '0');
	writeFileSync(`${dir}/policies/kinds/svc-${s}.yaml`, `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: svc-${s}
  rules:
    - name: rule-${s}
      actions: ["deploy"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          expr: size(request.resource.attr.reason) >= 10 && request.resource.attr.ticket.matches("^(INC|CHG)-[0-9]+$")
`);
}
writeFileSync(`${dir}/config.yaml`, `server:
  httpListenAddr: "127.0.0.1:${httpPort}"
  grpcListenAddr: "127.0.0.1:${grpcPort}"
storage:
  driver: disk
  disk:
    directory: "${dir}/policies"
    watchForChanges: false
audit:
  enabled: false
telemetry:
  disabled: true
`);
