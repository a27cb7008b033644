/* cli.h - the subcommands of the article5 binary, one file each under
 * src/cli/ (named after the verb), dispatched by main.c's table, which
 * holds their one-line help. */
#ifndef A5_CLI_H
#define A5_CLI_H

int cmd_daemon(int argc, char **argv);
int cmd_coalition(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_scan_f2b(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_bans(int argc, char **argv);
int cmd_ban(int argc, char **argv);
int cmd_unban(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_members(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_charter(int argc, char **argv);
int cmd_f2b_dump(int argc, char **argv);
int cmd_import_f2b(int argc, char **argv);
int cmd_f2b_dates(int argc, char **argv);

/* True if arg is -h or --help. */
int cli_is_help(const char *arg);

#endif
