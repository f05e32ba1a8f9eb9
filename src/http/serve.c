/*
 * serve.c - `jitgate serve`: parse flags, open the store, load the policy,
 * mint the bootstrap token on first start, load the index of live grants
 * and keep it in step (a sync thread), run the HTTP server (HTTPS with
 * --tls-cert: serve_transport.c), and sweep expired records until SIGINT
 * or SIGTERM; SIGHUP reloads the policy and the TLS certificate.
 *
 * Fatal errors are only possible here, at start-up; once serving, a bad
 * request never stops the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "http/privdrop.h"
#include "http/serve.h"
#include "http/serve_chat.h"
#include "http/serve_ckpt.h"
#include "http/serve_transport.h"
#include "notify/worker.h"
#include "http/server.h"
#include "exec/exec.h"
#include "policy/load.h"
#include "sign/keyfile.h"
#include "sign/keys.h"
#include "util/safefile.h"
#include "util/timefmt.h"
#include "util/log.h"

struct serve_opts {
	char host[64];
	uint16_t port;
	const char *db;
	const char *policy;
	const char *token_file;
	const char *keys_dir; /* NULL: beside the SQLite file, or var/keys */
	const char *ssh_ca_key; /* NULL: no SSH certificates */
	EVP_PKEY *ssh_ca;       /* owned; read from it after the drop */
	const char *connectors_file; /* NULL: the gateway executes nothing */
	struct jg_connectors *connectors; /* loaded from it */
	int64_t sweep; /* seconds */
	struct jg_server_threads threads; /* HTTP, execution pool, limits */
	struct jg_notify_config notify;
	const char *webhook_secret_file;
	char secret[256]; /* the webhook HMAC key, read from its file */
	struct jg_serve_ckpt ckpt; /* signed audit checkpoints */
	struct jg_serve_transport tr; /* TLS, trusted proxies */
	struct jg_serve_chat chat; /* Slack buttons: secret, user table */
	const char *user; /* --user: who to become when started as root */
	struct jg_priv priv;
	int token_fd; /* the token file, claimed before the first mint */
	/* identity.signin's client secret, read from its file before the
	 * privilege drop; handed to the gate, then wiped */
	char signin_secret[JG_CLAIM_MAX];
	enum jg_log_format log_format; /* --log-format */
};

static int64_t wall_clock(void)
{
	return (int64_t)time(NULL);
}

/* The time for a decision: the wall clock, never back in time. */
static int64_t decision_now(struct jg_gate *g)
{
	return jg_gate_now(g, wall_clock());
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: jitgate serve [--listen HOST:PORT] [--db PATH|URL] "
	        "[--policy FILE]\n"
	        "                     [--bootstrap-token-file FILE] "
	        "[--sweep-interval D] [--threads N]\n"
	        "                     [--user NAME]\n"
	        "\n"
	        "  --user NAME          started as root: become NAME after "
	        "binding and reading\n"
	        "                       the policy and connectors (required "
	        "as root)\n"
	        "  --listen HOST:PORT   address to serve on (default "
	        "127.0.0.1:8080, env JITGATE_LISTEN)\n"
	        "  --db PATH|URL        SQLite database file, or a "
	        "postgres:// URL to share one\n"
	        "                       database among servers (default "
	        "var/jitgate.db,\n"
	        "                       env JITGATE_DB or JITGATE_DATABASE)\n"
	        "  --policy FILE        policy file (default "
	        "examples/policy.yaml, env JITGATE_POLICY)\n"
	        "  --bootstrap-token-file FILE\n"
	        "                       on first start, write the admin token "
	        "here (mode 0600;\n"
	        "                       the file must not exist yet)\n"
	        "  --sweep-interval D   how often expiries are recorded "
	        "(default 1s)\n"
	        "  --threads N          HTTP worker threads (default 4)\n"
	        "  --exec-threads N     actions run at once, on threads of "
	        "their own (default 16)\n"
	        "  --exec-queue N       actions that may wait for one "
	        "(default 64; past that, 503)\n"
	        "  --webhook-url URL    POST notifications here, signed "
	        "(env JITGATE_WEBHOOK_URL)\n"
	        "  --webhook-secret-file FILE\n"
	        "                       the HMAC-SHA256 key for the webhook "
	        "(env JITGATE_WEBHOOK_SECRET_FILE)\n"
	        "  --slack-url URL      a Slack-compatible incoming webhook "
	        "(env JITGATE_SLACK_URL)\n"
	        "  --dashboard-url URL  base of links in notifications "
	        "(env JITGATE_DASHBOARD_URL)\n"
	        "  --notify-attempts N  dead-letter a notification after N "
	        "tries (default 10)\n"
	        "  --keys-dir DIR       grant token signing keys (default keys/ "
	        "beside the SQLite\n"
	        "                       database, var/keys with PostgreSQL; "
	        "env JITGATE_KEYS_DIR)\n"
	        "  --connectors FILE    how the gateway executes approved "
	        "actions, per resource\n"
	        "                       (docs/connectors.md; env "
	        "JITGATE_CONNECTORS)\n"
	        "  --per-ip-connections N\n"
	        "                       connections one address may hold "
	        "(default 64; 0: any)\n"
	        "  --body-memory MIB    request bodies being received hold "
	        "at most this\n"
	        "                       together (default 64; past it, 503)\n"
	        "  --replay-timeout S   a policy replay stops after S seconds "
	        "(default 10)\n"
	        "  --log-format FORMAT  text (default) or json: one JSON object "
	        "per log line\n"
	        "                       (env JITGATE_LOG_FORMAT)\n");
	fputs("  --ssh-ca-key FILE    sign OpenSSH user certificates for ssh "
	      "grants with this\n"
	      "                       Ed25519 key (made on first start, mode "
	      "0600; docs/enforcement.md;\n"
	      "                       env JITGATE_SSH_CA_KEY)\n", f);
	fputs(jg_serve_ckpt_usage, f);
	fputs(jg_serve_transport_usage, f);
	fputs(jg_serve_chat_usage, f);
}

static int parse_listen(const char *s, struct serve_opts *o)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(o->host))
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	memcpy(o->host, s, (size_t)(colon - s));
	o->host[colon - s] = '\0';
	o->port = (uint16_t)port;
	return 0;
}

/* The webhook key comes from a file, never a flag (ps would show it). */
static int read_secret(struct serve_opts *o)
{
	FILE *f;
	size_t n;
	char why[300];

	if ((o->notify.slack_url &&
	     jg_notify_url_check("--slack-url", o->notify.slack_url, why,
	                         sizeof(why))) ||
	    (o->notify.webhook_url &&
	     jg_notify_url_check("--webhook-url", o->notify.webhook_url, why,
	                         sizeof(why)))) {
		jg_log(JG_LOG_ERROR, "%s", why);
		return 2;
	}
	if (!o->notify.webhook_url)
		return -1;
	if (!o->webhook_secret_file) {
		jg_log(JG_LOG_ERROR, "--webhook-url needs "
		       "--webhook-secret-file: deliveries are signed");
		return 2;
	}
	if (!(f = fopen(o->webhook_secret_file, "r"))) {
		jg_log(JG_LOG_ERROR, "cannot read %s: %s",
		       o->webhook_secret_file, strerror(errno));
		return 2;
	}
	n = fread(o->secret, 1, sizeof(o->secret) - 1, f);
	fclose(f);
	while (n && (o->secret[n - 1] == '\n' || o->secret[n - 1] == '\r'))
		n--;
	o->secret[n] = '\0';
	if (n < 16 || n == sizeof(o->secret) - 1) {
		jg_log(JG_LOG_ERROR, "the webhook secret in %s must be 16 "
		       "to 254 bytes", o->webhook_secret_file);
		return 2;
	}
	o->notify.webhook_secret = o->secret;
	return -1;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* A count option: a whole number from lo to hi into *out; -1 if not. */
static int count_opt(const char *name, const char *arg, long lo, long hi,
                     unsigned *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < lo || n > hi) {
		fprintf(stderr, "jitgate: --%s must be %ld to %ld\n", name, lo,
		        hi);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* getopt values of the limits (docs/operations.md "Limits") */
enum { OPT_PER_IP = 0x300, OPT_BODY_MEMORY, OPT_REPLAY_TIMEOUT,
       OPT_LOG_FORMAT, OPT_SSH_CA_KEY };

static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"db", required_argument, NULL, 'd'},
		{"policy", required_argument, NULL, 'p'},
		{"bootstrap-token-file", required_argument, NULL, 'b'},
		{"sweep-interval", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'},
		{"exec-threads", required_argument, NULL, 'E'},
		{"exec-queue", required_argument, NULL, 'Q'},
		{"webhook-url", required_argument, NULL, 'W'},
		{"webhook-secret-file", required_argument, NULL, 'S'},
		{"slack-url", required_argument, NULL, 'K'},
		{"dashboard-url", required_argument, NULL, 'U'},
		{"notify-attempts", required_argument, NULL, 'A'},
		{"keys-dir", required_argument, NULL, 'k'},
		{"connectors", required_argument, NULL, 'C'},
		{"user", required_argument, NULL, 'u'},
		JG_SERVE_CKPT_OPTIONS,
		JG_SERVE_TRANSPORT_OPTIONS,
		JG_SERVE_CHAT_OPTIONS,
		{"per-ip-connections", required_argument, NULL, OPT_PER_IP},
		{"body-memory", required_argument, NULL, OPT_BODY_MEMORY},
		{"replay-timeout", required_argument, NULL, OPT_REPLAY_TIMEOUT},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"ssh-ca-key", required_argument, NULL, OPT_SSH_CA_KEY},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *listen = env_or("JITGATE_LISTEN", "127.0.0.1:8080");
	const char *log_format = env_or("JITGATE_LOG_FORMAT", "text");
	int c;

	o->db = env_or("JITGATE_DB",
	               env_or("JITGATE_DATABASE", "var/jitgate.db"));
	o->policy = env_or("JITGATE_POLICY", "examples/policy.yaml");
	o->sweep = 1;
	o->threads.http = 4;
	o->threads.exec = 16;
	o->threads.queue = 64;
	o->threads.per_ip = JG_PER_IP_DEFAULT;
	o->threads.body_mib = JG_BODY_MEMORY_DEFAULT;
	o->threads.replay_s = JG_REPLAY_TIMEOUT_DEFAULT;
	o->notify.webhook_url = getenv("JITGATE_WEBHOOK_URL");
	o->notify.slack_url = getenv("JITGATE_SLACK_URL");
	o->notify.dashboard_url = getenv("JITGATE_DASHBOARD_URL");
	o->webhook_secret_file = getenv("JITGATE_WEBHOOK_SECRET_FILE");
	o->notify.max_attempts = 10;
	o->notify.expiring_within = 300;
	o->keys_dir = env_or("JITGATE_KEYS_DIR", NULL);
	o->ssh_ca_key = env_or("JITGATE_SSH_CA_KEY", NULL);
	o->connectors_file = env_or("JITGATE_CONNECTORS", NULL);
	jg_serve_ckpt_init(&o->ckpt);
	jg_serve_chat_init(&o->chat);
	if (jg_serve_transport_init(&o->tr))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'd': o->db = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'b': o->token_file = optarg; break;
		case 's':
			if (jg_duration_parse(optarg, &o->sweep) != JG_OK) {
				fprintf(stderr, "jitgate: bad --sweep-interval "
				        "'%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (count_opt("threads", optarg, 1, 64, &o->threads.http))
				return 2;
			break;
		case 'E':
			if (count_opt("exec-threads", optarg, 1, 256,
			              &o->threads.exec))
				return 2;
			break;
		case 'Q':
			if (count_opt("exec-queue", optarg, 0, 4096,
			              &o->threads.queue))
				return 2;
			break;
		case OPT_PER_IP:
			if (count_opt("per-ip-connections", optarg, 0, 16384,
			              &o->threads.per_ip))
				return 2;
			break;
		case OPT_BODY_MEMORY: /* room for one policy replay at least */
			if (count_opt("body-memory", optarg, 8, 65536,
			              &o->threads.body_mib))
				return 2;
			break;
		case OPT_REPLAY_TIMEOUT:
			if (count_opt("replay-timeout", optarg, 1, 3600,
			              &o->threads.replay_s))
				return 2;
			break;
		case OPT_LOG_FORMAT: log_format = optarg; break;
		case OPT_SSH_CA_KEY: o->ssh_ca_key = optarg; break;
		case 'W': o->notify.webhook_url = optarg; break;
		case 'S': o->webhook_secret_file = optarg; break;
		case 'K': o->notify.slack_url = optarg; break;
		case 'U': o->notify.dashboard_url = optarg; break;
		case 'A':
			o->notify.max_attempts = (int)strtol(optarg, NULL, 10);
			if (o->notify.max_attempts < 1 ||
			    o->notify.max_attempts > 100) {
				fprintf(stderr, "jitgate: --notify-attempts must "
				        "be 1 to 100\n");
				return 2;
			}
			break;
		case 'k': o->keys_dir = optarg; break;
		case 'C': o->connectors_file = optarg; break;
		case 'u': o->user = optarg; break;
		case JG_SERVE_CKPT_KEY:
		case JG_SERVE_CKPT_SINK:
		case JG_SERVE_CKPT_EVERY:
		case JG_SERVE_CKPT_INTERVAL:
			if (jg_serve_ckpt_opt(&o->ckpt, c, optarg))
				return 2;
			break;
		case JG_SERVE_TLS_CERT:
		case JG_SERVE_TLS_KEY:
		case JG_SERVE_TRUSTED_PROXY:
			if (jg_serve_transport_opt(&o->tr, c, optarg))
				return 2;
			break;
		case JG_SERVE_SLACK_SECRET:
		case JG_SERVE_SLACK_USERS:
		case JG_SERVE_MAIL_URL:
		case JG_SERVE_MAIL_FROM:
		case JG_SERVE_MAIL_CREDENTIALS:
		case JG_SERVE_MAIL_CACERT:
		case JG_SERVE_MAIL_USERS:
		case JG_SERVE_SLACK_REPLY_BASE:
			jg_serve_chat_opt(&o->chat, c, optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (jg_log_format_parse(log_format, &o->log_format)) {
		fprintf(stderr, "jitgate: --log-format must be text or json\n");
		return 2;
	}
	/* from here on, every line the server logs is in that format */
	jg_log_set_format(o->log_format);
	if (optind < argc) {
		jg_log(JG_LOG_ERROR, "serve takes no argument '%s'",
		       argv[optind]);
		return 2;
	}
	if (parse_listen(listen, o)) {
		jg_log(JG_LOG_ERROR, "bad listen address '%s' (want "
		       "HOST:PORT)", listen);
		return 2;
	}
	if (jg_serve_chat_open(&o->chat, &o->notify)) /* before the drop */
		return 2;
	return read_secret(o);
}

/*
 * On first start (no token yet) claim the token file before minting:
 * O_EXCL|O_NOFOLLOW, so a file or link already there stops the start
 * with nothing minted (a token minted into nowhere would lock us out).
 */
static int claim_token_file(struct serve_opts *o, struct jg_store *st)
{
	int64_t count = 1;
	enum jg_err e;

	o->token_fd = -1;
	if (!o->token_file)
		return 0;
	if ((e = st->ops->begin(st, 0)) == JG_OK) {
		e = st->ops->token_count(st, &count);
		st->ops->rollback(st);
	}
	if (e != JG_OK) {
		jg_log(JG_LOG_ERROR, "cannot count tokens: %s (%s)",
		       jg_strerror(e), st->err);
		return -1;
	}
	if (count == 0 && (o->token_fd = jg_safe_create(o->token_file)) < 0) {
		int saved = errno;
		struct stat sb;

		jg_log(JG_LOG_ERROR, "cannot create the admin token file "
		       "%s: %s (it must not exist yet)", o->token_file,
		       lstat(o->token_file, &sb) == 0 && S_ISLNK(sb.st_mode)
		               ? "it is a symbolic link"
		               : strerror(saved));
		return -1;
	}
	return 0;
}

/*
 * First start: the bootstrap token goes to the token file when one is
 * named, and then only its place is printed (stdout ends in service
 * logs); without a file it is shown once on stdout.
 */
static int announce_token(struct serve_opts *o, char *secret)
{
	int rc = 0;

	if (!secret[0]) {
		if (o->token_file && access(o->token_file, R_OK) == 0)
			jg_log_out("the admin token is in %s",
			           o->token_file);
	} else if (o->token_fd < 0) {
		jg_log_out("bootstrap admin token (shown once): %s",
		           secret);
	} else if (jg_safe_write_close(o->token_fd, secret) != 0) {
		jg_log(JG_LOG_ERROR, "cannot write %s: %s",
		       o->token_file, strerror(errno));
		rc = -1;
	} else {
		jg_log_out("the admin token is in %s (mode 0600)",
		           o->token_file);
	}
	o->token_fd = -1;
	OPENSSL_cleanse(secret, JG_TOKEN_LEN);
	return rc;
}

/* Executions a crash interrupted become `unknown` (never run again). */
static void recover_executions(struct jg_gate *gate)
{
	size_t n = 0;
	enum jg_err e;

	jg_gate_hold(gate); /* its notices read the policy */
	e = jg_gate_exec_recover(gate, decision_now(gate), &n);
	jg_gate_release(gate);
	if (e != JG_OK)
		jg_log(JG_LOG_ERROR, "execution recovery failed; will "
		       "retry");
	else if (n)
		jg_log(JG_LOG_ERROR, "%zu interrupted execution%s marked "
		       "unknown: check the targets", n, n == 1 ? "" : "s");
}

/*
 * Temporary database roles: those whose grant ended while the server was
 * down are dropped before it serves; a target database that is down
 * does not stop the start (the worker retries, and says so).
 */
static int start_credentials(struct jg_gate *gate)
{
	size_t pending = 0;

	if (jg_gate_credentials_start(gate, &pending) != JG_OK) {
		jg_log(JG_LOG_ERROR, "cannot start the temporary roles' worker");
		return -1;
	}
	if (pending)
		jg_log(JG_LOG_WARN, "%zu temporary database role(s) of ended "
		       "grants not dropped yet: retrying", pending);
	return 0;
}

/*
 * check answers from the index of live grants, which the sync thread
 * keeps in step with the store (and so with the other servers on it).
 * A store that fails the first load is no reason not to serve: check
 * asks the store until the thread manages it.
 */
static int start_index(struct jg_gate *gate)
{
	enum jg_err e = jg_gate_index_load(gate);

	if (e != JG_OK)
		jg_log(JG_LOG_ERROR, "cannot load the grant index yet "
		       "(%s); check answers from the store meanwhile",
		       jg_strerror(e));
	if ((e = jg_gate_sync_start(gate, JG_SYNC_MS)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "cannot start the index sync: %s",
		       jg_strerror(e));
		return -1;
	}
	/* the alert detectors off the requests' path (docs/alerts.md) */
	if ((e = jg_gate_alerts_start(gate, JG_ALERTS_MS)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "cannot start the alert detectors: %s",
		       jg_strerror(e));
		return -1;
	}
	return 0;
}

/* Wait for a stop signal, sweeping every o->sweep seconds meanwhile. */
static void run_until_signal(struct jg_gate *gate, struct serve_opts *o,
                             const sigset_t *set)
{
	struct timespec ts = {.tv_sec = (time_t)o->sweep};
	size_t changed;
	char sha[JG_SHA256_HEX], why[JG_WHY_MAX];
	enum jg_err e;

	for (;;) {
		int sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			return;
		if (sig == SIGHUP) {
			jg_serve_transport_reload(&o->tr);
			if (jg_gate_reload(gate, NULL, decision_now(gate), sha,
			                   why) ==
			    JG_OK)
				jg_log(JG_LOG_INFO, "policy reloaded "
				       "(sha256 %s)", sha);
			else
				jg_log(JG_LOG_ERROR, "%s", why);
			continue;
		}
		jg_gate_hold(gate);
		e = jg_gate_sweep(gate, decision_now(gate), &changed);
		jg_gate_release(gate);
		if (e != JG_OK)
			jg_log(JG_LOG_ERROR, "sweep failed; will retry");
		recover_executions(gate);
	}
}

static int serve(struct serve_opts *o, struct jg_policy *policy,
                 struct jg_store *st, struct jg_keys *keys)
{
	struct jg_gate *gate = NULL;
	struct jg_server *srv = NULL;
	struct jg_server_transport tr = jg_serve_transport_of(&o->tr);
	struct jg_notifier *notifier = NULL;
	char secret[JG_TOKEN_LEN], err[256], where[256];
	sigset_t set;
	enum jg_err e;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* block before threads start so they inherit the mask */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* libcurl (notifications) must be set up before any thread runs */
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (claim_token_file(o, st)) {
		jg_policy_free(policy);
		return 1;
	}
	if ((e = jg_gate_new(st, policy, o->policy, &gate)) != JG_OK ||
	    (e = jg_gate_start(gate, decision_now(gate), secret)) != JG_OK) {
		if (o->token_fd >= 0) {
			close(o->token_fd);
			unlink(o->token_file); /* empty: made above */
		}
		jg_log(JG_LOG_ERROR, "cannot start: %s (%s)",
		       jg_strerror(e), st->err);
		jg_gate_free(gate);
		return 1;
	}
	/* at once: no later failure may lose a token minted just now */
	if (announce_token(o, secret)) {
		jg_gate_free(gate);
		return 1;
	}
	jg_gate_signin_set_secret(gate, o->signin_secret);
	OPENSSL_cleanse(o->signin_secret, sizeof(o->signin_secret));
	jg_gate_set_keys(gate, keys);
	jg_gate_set_ssh_ca(gate, o->ssh_ca);
	jg_gate_set_connectors(gate, o->connectors, wall_clock);
	/* chat replies go out through the outbox too */
	if (o->notify.webhook_url || o->notify.slack_url ||
	    o->notify.mail_url || o->notify.slack_signing_secret) {
		jg_gate_set_notify(gate, &o->notify);
		if (jg_notifier_start(st, &o->notify, &notifier) != JG_OK) {
			jg_log(JG_LOG_ERROR, "cannot start notifications");
			jg_gate_free(gate);
			return 1;
		}
	}
	recover_executions(gate); /* after notify: its notices go out */
	if (start_index(gate) || start_credentials(gate) ||
	    jg_serve_ckpt_start(&o->ckpt, gate, wall_clock)) {
		jg_notifier_stop(notifier);
		jg_gate_free(gate);
		return 1;
	}
	e = jg_server_start(gate, o->host, o->port, &o->threads, &tr,
	                    wall_clock, &srv, err, sizeof(err));
	if (e != JG_OK) {
		jg_log(JG_LOG_ERROR, "%s", err);
		jg_notifier_stop(notifier);
		jg_gate_free(gate);
		return 1;
	}
	jg_store_describe(o->db, where, sizeof(where)); /* no password */
	jg_log_out("listening on %s://%s:%u (store %s, policy %s)",
	           jg_serve_transport_scheme(&o->tr), o->host,
	           jg_server_port(srv), where, o->policy);
	fflush(stdout);
	run_until_signal(gate, o, &set);
	jg_log(JG_LOG_INFO, "stopping");
	jg_server_stop(srv);
	jg_gate_alerts_stop(gate);
	jg_gate_sync_stop(gate);
	jg_notifier_stop(notifier);
	jg_gate_free(gate);
	return 0;
}

/*
 * The grant token signing keys: --keys-dir, else keys/ beside the SQLite
 * database (var/keys for the default one), else var/keys. The first key
 * is made on first start.
 */
static int open_keys(const struct serve_opts *o, struct jg_keys **out)
{
	const char *db = o->db, *slash;
	char dir[4096], err[512];

	if (o->keys_dir) {
		snprintf(dir, sizeof(dir), "%s", o->keys_dir);
	} else if (strncmp(db, "postgres", 8) == 0) {
		snprintf(dir, sizeof(dir), "var/keys");
	} else {
		if (strncmp(db, "sqlite:", 7) == 0)
			db += 7;
		slash = strrchr(db, '/');
		snprintf(dir, sizeof(dir), "%.*skeys",
		         slash ? (int)(slash - db + 1) : 0, db);
	}
	if (jg_keys_open(dir, wall_clock(), out, err, sizeof(err)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

/* The SSH CA key, when one is named: made on first start, refused when
 * others may read it (sign/keyfile.h). */
static int open_ssh_ca(struct serve_opts *o)
{
	char err[512];

	if (!o->ssh_ca_key)
		return 0;
	if (jg_keyfile_ed25519(o->ssh_ca_key, "SSH CA key", &o->ssh_ca, err,
	                       sizeof(err)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

/*
 * The connectors file, when one is named: file:line errors stop the
 * start; a connector for a resource the policy lacks is only a warning
 * (a later policy may add it).
 */
static int load_connectors(struct serve_opts *o,
                           const struct jg_policy *policy)
{
	char err[512];

	if (!o->connectors_file)
		return 0;
	if (jg_connectors_load(o->connectors_file, &o->connectors, err,
	                       sizeof(err)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "%s", err);
		return -1;
	}
	for (size_t i = 0; i < jg_connectors_count(o->connectors); i++) {
		const char *r = jg_connectors_resource(o->connectors, i);
		if (!jg_policy_resource(policy, r))
			jg_log(JG_LOG_WARN, "%s: resource '%s' is "
			       "not in the policy", o->connectors_file, r);
	}
	return 0;
}

/*
 * What the server trusts: the policy and the connectors file must be
 * safe from everyone but their owner and root (safefile.h).
 */
static int check_files(const struct serve_opts *o)
{
	char err[1024];

	if (jg_safe_check(o->policy, "policy file", o->priv.uid, err,
	                  sizeof(err)) == 0 &&
	    (!o->connectors_file ||
	     jg_safe_check(o->connectors_file, "connectors file", o->priv.uid,
	                   err, sizeof(err)) == 0))
		return 0;
	jg_log(JG_LOG_ERROR, "%s", err);
	return -1;
}

/*
 * Bind while still root (a port below 1024), then become --user for
 * good: everything after this runs, and every connector program starts,
 * as that user.
 */
static int bind_and_drop(struct serve_opts *o)
{
	char err[512];
	int fd = jg_priv_listen(o->host, o->port, err, sizeof(err));

	if (fd < 0) {
		jg_log(JG_LOG_ERROR, "%s", err);
		return -1;
	}
	o->threads.listen_fd = fd;
	if (jg_priv_drop(&o->priv, err, sizeof(err)) != 0) {
		jg_log(JG_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

int jg_serve_main(int argc, char **argv)
{
	struct serve_opts o = {0};
	struct jg_policy *policy = NULL;
	struct jg_store *st = NULL;
	struct jg_keys *keys = NULL;
	char err[512];
	int rc;

	umask(077); /* database, -wal/-shm, keys, token file: 0600 */
	if ((rc = parse_opts(argc, argv, &o)) >= 0) {
		jg_serve_transport_free(&o.tr);
		jg_serve_chat_free(&o.chat);
		return rc;
	}
	if (jg_priv_prepare(&o.priv, o.user, err, sizeof(err)) != 0) {
		jg_log(JG_LOG_ERROR, "%s", err);
		jg_serve_transport_free(&o.tr);
		jg_serve_chat_free(&o.chat);
		return 2;
	}
	/* the TLS key is read as root, before the drop */
	if (jg_serve_ckpt_check(&o.ckpt, o.db) || check_files(&o) ||
	    jg_serve_transport_open(&o.tr)) {
		jg_serve_transport_free(&o.tr);
		jg_serve_chat_free(&o.chat);
		return 2;
	}
	if (jg_policy_load(o.policy, &policy, err, sizeof(err)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "%s", err);
		jg_serve_transport_free(&o.tr);
		jg_serve_chat_free(&o.chat);
		return 1;
	}
	rc = 1;
	/* the sign-in client secret is read as root too, before the drop */
	if (jg_gate_signin_secret_read(policy, o.signin_secret, err) !=
	    JG_OK) {
		fprintf(stderr, "jitgate: %s\n", err);
	} else if (load_connectors(&o, policy) || bind_and_drop(&o)) {
		/* said why */
	} else if (jg_store_open(o.db, &st, err, sizeof(err)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "%s", err);
	} else if (open_keys(&o, &keys) == 0 && open_ssh_ca(&o) == 0) {
		rc = serve(&o, policy, st, keys); /* takes the policy, the socket */
		policy = NULL;
		o.threads.listen_fd = 0;
	}
	if (o.threads.listen_fd > 0)
		close(o.threads.listen_fd);
	jg_policy_free(policy);
	jg_connectors_free(o.connectors);
	jg_keys_free(keys);
	EVP_PKEY_free(o.ssh_ca);
	jg_store_close(st);
	jg_serve_transport_free(&o.tr); /* the server has stopped */
	jg_serve_chat_free(&o.chat);
	return rc;
}
