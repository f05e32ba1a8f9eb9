/*
 * main.c - the one jitgate binary.
 *
 * `jitgate serve` runs the gateway (src/http/serve.c); `backup` and
 * `restore` work on the database file (src/cli/cmd_backup.c); every other
 * command is a client of its HTTP API (src/cli/). This file only dispatches and
 * answers --help, --version and `help COMMAND`; it holds no state.
 */
#include <stdio.h>
#include <string.h>

#include "cli/backup.h"
#include "cli/cli.h"
#include "http/serve.h"

static int help(int argc, char **argv)
{
	if (argc < 3) {
		jg_cli_usage(stdout);
		return JG_EXIT_OK;
	}
	if (!strcmp(argv[2], "backup") || !strcmp(argv[2], "restore")) {
		char *args[] = {argv[2], (char *)"--help", NULL};

		return !strcmp(argv[2], "backup") ? jg_backup_main(2, args)
		                                  : jg_restore_main(2, args);
	}
	if (!strcmp(argv[2], "serve")) {
		/* serve owns its usage text; ask it rather than copy it here. */
		char *args[] = {argv[2], (char *)"--help", NULL};

		return jg_serve_main(2, args);
	}
	return jg_cli_help(argv[2], argc > 3 ? argv[3] : NULL);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "serve"))
		return jg_serve_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "backup"))
		return jg_backup_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return jg_restore_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version")) {
		printf("jitgate %s\n", JG_CLI_VERSION);
		return JG_EXIT_OK;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		jg_cli_usage(stdout);
		return JG_EXIT_OK;
	}
	if (!strcmp(cmd, "help"))
		return help(argc, argv);
	return jg_cli_main(argc, argv);
}
