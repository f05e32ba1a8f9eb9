/*
 * backup.h - `jitgate backup` and `jitgate restore` (cmd_backup.c):
 * offline commands on the SQLite database file. Each returns the exit
 * status (cli.h's JG_EXIT_*).
 */
#ifndef JG_CLI_BACKUP_H
#define JG_CLI_BACKUP_H

int jg_backup_main(int argc, char **argv);
int jg_restore_main(int argc, char **argv);

#endif
