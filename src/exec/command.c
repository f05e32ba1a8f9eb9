/*
 * command.c - the `command` connector: one configured program, its argv
 * filled from a template, started with posix_spawn(3).
 *
 *     type: command
 *     program: /usr/local/bin/deploy     # absolute path, no shell
 *     args: [--service, "{service}", --ref, "{ref}"]
 *     workdir: /srv/deploy               # optional
 *     env: [PATH, LANG]                  # names passed through, if set
 *     set_env: {MODE: production}        # fixed values
 *     secret_env: {API_TOKEN: {file: /etc/jitgate/deploy.token}}
 *     timeout: 60s
 *     output_limit: 64KiB
 *
 * Each args element is one template; whatever a param holds, it fills
 * part of exactly that one element: no shell ever sees it, so "a; rm -rf
 * /" reaches the program as one literal argument. The child gets only the
 * environment listed here, stdin from /dev/null, stdout and stderr on one
 * pipe, every other descriptor closed, default signal dispositions and
 * mask, and a process group of its own, which the timeout kills whole.
 * This file must never run a shell, inherit the server's descriptors or
 * environment, or wait past the timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/internal.h"

#define ARGS_MAX 64
#define ENV_MAX 64
#define DRAIN_MS 1000 /* output still read after the program ended */

struct kv {
	char *name;
	char *value; /* a secret in secret_env: wiped on free */
};

struct command_conf {
	char *program;
	char **args;
	size_t nargs;
	char *workdir;
	char **env; /* names passed through from the server's environment */
	size_t nenv;
	struct kv set_env[ENV_MAX];
	size_t nset;
	struct kv secret_env[ENV_MAX];
	size_t nsecret;
};

/* ---- configuration ---- */

static int env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_") == strlen(s);
}

static int load_program(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct command_conf *cc = conf;

	if (jg_cfg_path(c, n, "program", &cc->program))
		return -1;
	if (access(cc->program, X_OK) != 0)
		return jg_cfg_fail(c, n, "program %.200s cannot be run: %s",
		                   cc->program, strerror(errno));
	return 0;
}

static int load_args(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct command_conf *cc = conf;

	if (n->type != YAML_SEQUENCE_NODE)
		return jg_cfg_fail(c, n, "args must be a list");
	cc->nargs = (size_t)(n->data.sequence.items.top -
	                     n->data.sequence.items.start);
	if (cc->nargs > ARGS_MAX)
		return jg_cfg_fail(c, n, "args has more than %d elements",
		                   ARGS_MAX);
	if (!(cc->args = calloc(cc->nargs ? cc->nargs : 1, sizeof(char *))))
		return jg_cfg_nomem(c, n);
	for (size_t i = 0; i < cc->nargs; i++)
		if (jg_cfg_template(c, jg_cfg_node(c,
		                                   n->data.sequence.items.start[i]),
		                    "an args element", &cc->args[i]))
			return -1;
	return 0;
}

static int load_workdir(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_path(c, n, "workdir", &((struct command_conf *)conf)->workdir);
}

static int load_env(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct command_conf *cc = conf;

	if (jg_cfg_strs(c, n, "env", &cc->env, &cc->nenv))
		return -1;
	if (cc->nenv > ENV_MAX)
		return jg_cfg_fail(c, n, "env names more than %d variables",
		                   ENV_MAX);
	for (size_t i = 0; i < cc->nenv; i++)
		if (!env_name_ok(cc->env[i]))
			return jg_cfg_fail(c, n, "env: '%.60s' is not a variable "
			                   "name", cc->env[i]);
	return 0;
}

static int env_key(struct jg_cfg *c, yaml_node_t *k, struct kv *kv)
{
	if (jg_cfg_str(c, k, "a variable name", 0, &kv->name))
		return -1;
	if (!env_name_ok(kv->name))
		return jg_cfg_fail(c, k, "'%.60s' is not a variable name",
		                   kv->name);
	return 0;
}

static int set_pair(struct jg_cfg *c, yaml_node_t *k, yaml_node_t *v,
                    void *conf)
{
	struct command_conf *cc = conf;
	struct kv *kv = &cc->set_env[cc->nset++];

	return env_key(c, k, kv) ||
	       jg_cfg_str(c, v, "a set_env value", 1, &kv->value);
}

static int secret_pair(struct jg_cfg *c, yaml_node_t *k, yaml_node_t *v,
                       void *conf)
{
	struct command_conf *cc = conf;
	struct kv *kv = &cc->secret_env[cc->nsecret++];

	return env_key(c, k, kv) ||
	       jg_cfg_secret(c, v, "a secret_env value", &kv->value);
}

static int load_set_env(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_pairs(c, n, "set_env", ENV_MAX, set_pair, conf);
}

static int load_secret_env(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_pairs(c, n, "secret_env", ENV_MAX, secret_pair, conf);
}

static const struct jg_cfg_key keys[] = {
	{"program", load_program, 1},  {"args", load_args, 0},
	{"workdir", load_workdir, 0},  {"env", load_env, 0},
	{"set_env", load_set_env, 0},  {"secret_env", load_secret_env, 0},
};

static void free_conf(void *conf)
{
	struct command_conf *cc = conf;

	free(cc->program);
	jg_cfg_strs_free(cc->args, cc->nargs);
	free(cc->workdir);
	jg_cfg_strs_free(cc->env, cc->nenv);
	for (size_t i = 0; i < cc->nset; i++) {
		free(cc->set_env[i].name);
		free(cc->set_env[i].value);
	}
	for (size_t i = 0; i < cc->nsecret; i++) {
		free(cc->secret_env[i].name);
		jg_secret_free(cc->secret_env[i].value);
	}
}

/* ---- argv and environment ---- */

static void free_vec(char **v)
{
	for (size_t i = 0; v && v[i]; i++) {
		explicit_bzero(v[i], strlen(v[i])); /* may hold a secret */
		free(v[i]);
	}
	free(v);
}

/* argv: the program, then each args template expanded (one element each). */
static char **build_argv(const struct command_conf *cc,
                         const struct jg_exec_input *in,
                         struct jg_exec_result *res)
{
	char **argv = calloc(cc->nargs + 2, sizeof(char *));
	char err[160];

	if (!argv || !(argv[0] = strdup(cc->program))) {
		free(argv);
		jg_exec_fail(res, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cc->nargs; i++) {
		if (jg_template_expand(cc->args[i], in, JG_ESC_NONE, &argv[i + 1],
		                       err, sizeof(err))) {
			jg_exec_fail(res, "argument %zu: %s", i + 1, err);
			free_vec(argv);
			return NULL;
		}
	}
	return argv;
}

static char *env_entry(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *e = malloc(n);

	if (e)
		snprintf(e, n, "%s=%s", name, value);
	return e;
}

/* Only what the configuration names: pass-through, fixed, secret. */
static char **build_envp(const struct command_conf *cc)
{
	char **envp = calloc(cc->nenv + cc->nset + cc->nsecret + 1,
	                     sizeof(char *));
	size_t n = 0;
	int oom = !envp;

	for (size_t i = 0; !oom && i < cc->nenv; i++) {
		const char *v = getenv(cc->env[i]);
		if (v && !(envp[n++] = env_entry(cc->env[i], v)))
			oom = 1;
	}
	for (size_t i = 0; !oom && i < cc->nset; i++)
		if (!(envp[n++] = env_entry(cc->set_env[i].name,
		                            cc->set_env[i].value)))
			oom = 1;
	for (size_t i = 0; !oom && i < cc->nsecret; i++)
		if (!(envp[n++] = env_entry(cc->secret_env[i].name,
		                            cc->secret_env[i].value)))
			oom = 1;
	if (oom) {
		free_vec(envp);
		return NULL;
	}
	return envp;
}

/* ---- spawning ---- */

static int spawn_setup(const struct command_conf *cc, int out_fd,
                       posix_spawn_file_actions_t *fa, posix_spawnattr_t *at)
{
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	if ((rc = posix_spawn_file_actions_init(fa)))
		return rc;
	if ((rc = posix_spawnattr_init(at))) {
		posix_spawn_file_actions_destroy(fa);
		return rc;
	}
	/* stdin /dev/null, stdout and stderr the pipe, nothing else open */
	if (!(rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null",
	                                             O_RDONLY, 0)) &&
	    !(rc = posix_spawn_file_actions_adddup2(fa, out_fd, 1)) &&
	    !(rc = posix_spawn_file_actions_adddup2(fa, out_fd, 2)) &&
	    !(rc = posix_spawn_file_actions_addclosefrom_np(fa, 3)) &&
	    (!cc->workdir ||
	     !(rc = posix_spawn_file_actions_addchdir_np(fa, cc->workdir))) &&
	    !(rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP |
	                                                POSIX_SPAWN_SETSIGMASK |
	                                                POSIX_SPAWN_SETSIGDEF)) &&
	    !(rc = posix_spawnattr_setpgroup(at, 0)) &&
	    !(rc = posix_spawnattr_setsigmask(at, &none)))
		rc = posix_spawnattr_setsigdefault(at, &all);
	if (rc) {
		posix_spawn_file_actions_destroy(fa);
		posix_spawnattr_destroy(at);
	}
	return rc;
}

/* Start the program; *pid and *rd (the read end) on success. */
static int start(const struct command_conf *cc, char **argv, char **envp,
                 pid_t *pid, int *rd, struct jg_exec_result *res)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int fds[2], rc;

	if (pipe2(fds, O_CLOEXEC)) {
		jg_exec_fail(res, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	rc = spawn_setup(cc, fds[1], &fa, &at);
	if (!rc) {
		rc = posix_spawn(pid, cc->program, &fa, &at, argv, envp);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&at);
	}
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		jg_exec_fail(res, "cannot start %.160s: %s", cc->program,
		             strerror(rc));
		return -1;
	}
	*rd = fds[0];
	return 0;
}

/* ---- waiting ---- */

struct child {
	pid_t pid;
	int rd;          /* -1 once at end of file */
	int exited;
	int lost;        /* waitpid failed: its status is unknown */
	int status;
	int64_t deadline; /* ms */
	int64_t drain_until; /* ms, once the program ended */
};

/* Read what is there; 0 at end of file or error (then rd is closed). */
static void drain(struct child *ch, struct jg_buf *out, int wait_ms)
{
	struct pollfd p = {.fd = ch->rd, .events = POLLIN};
	char buf[8192];
	ssize_t n;

	if (poll(&p, 1, wait_ms) <= 0)
		return;
	n = read(ch->rd, buf, sizeof(buf));
	if (n > 0) {
		jg_buf_add(out, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(ch->rd);
	ch->rd = -1;
}

static void reap(struct child *ch, int block)
{
	pid_t r;

	if (ch->exited)
		return;
	do
		r = waitpid(ch->pid, &ch->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		ch->lost = 1;
	if (r == ch->pid || r < 0)
		ch->exited = 1;
	if (ch->exited)
		ch->drain_until = jg_exec_ms() + DRAIN_MS;
}

/* Until the program ends and its output is read, or the deadline. */
static int wait_child(struct child *ch, struct jg_buf *out)
{
	for (;;) {
		int64_t now = jg_exec_ms();
		if (now >= ch->deadline && !ch->exited)
			return 1; /* timed out */
		if (ch->rd < 0 && ch->exited)
			return 0;
		if (ch->exited && now >= ch->drain_until)
			return 0; /* something it left behind keeps the pipe */
		if (ch->rd >= 0)
			drain(ch, out, 100);
		else
			poll(NULL, 0, 50);
		reap(ch, 0);
	}
}

static void outcome(struct child *ch, struct jg_exec_result *res,
                    int timed_out, int64_t timeout)
{
	if (timed_out) {
		res->timed_out = 1;
		res->exit_code = 124;
		jg_exec_fail(res, "timed out after %llds: the process group was "
		             "killed", (long long)timeout);
	} else if (ch->lost) {
		jg_exec_fail(res, "lost track of the program: %s",
		             strerror(ECHILD));
	} else if (WIFEXITED(ch->status)) {
		res->exit_code = WEXITSTATUS(ch->status);
		res->ok = res->exit_code == 0;
		if (!res->ok)
			jg_exec_fail(res, "exited with status %d", res->exit_code);
	} else if (WIFSIGNALED(ch->status)) {
		res->exit_code = 128 + WTERMSIG(ch->status);
		jg_exec_fail(res, "killed by signal %d", WTERMSIG(ch->status));
	}
}

static void run(const struct jg_connector *k, const struct jg_exec_input *in,
                struct jg_buf *out, struct jg_exec_result *res)
{
	const struct command_conf *cc = k->conf;
	char **argv = build_argv(cc, in, res), **envp = NULL;
	struct child ch = {.rd = -1};
	int timed_out;

	if (!argv)
		return;
	if (!(envp = build_envp(cc))) {
		jg_exec_fail(res, "out of memory");
	} else if (start(cc, argv, envp, &ch.pid, &ch.rd, res) == 0) {
		ch.deadline = jg_exec_ms() + k->timeout * 1000;
		timed_out = wait_child(&ch, out);
		if (timed_out)
			kill(-ch.pid, SIGKILL); /* the whole group */
		reap(&ch, 1);
		if (ch.rd >= 0)
			close(ch.rd);
		outcome(&ch, res, timed_out, k->timeout);
	}
	free_vec(argv);
	free_vec(envp);
}

const struct jg_connector_ops jg_command_ops = {
	.kind = "command",
	.conf_size = sizeof(struct command_conf),
	.keys = keys,
	.nkeys = sizeof(keys) / sizeof(keys[0]),
	.check = NULL,
	.run = run,
	.free_conf = free_conf,
};
