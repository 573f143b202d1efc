/*
 * ctl.h - shared declarations of sscnctl's commands.
 *
 * Each command gets the loaded configuration and its own arguments (argv[0]
 * is the command name) and returns the process exit status: 0 on success,
 * 1 on a failure it reported on stderr, 2 on a usage error.
 */
#ifndef SSCN_CTL_H
#define SSCN_CTL_H

#include "sscn.h"

#define CTL_EXIT_OK	0
#define CTL_EXIT_FAIL	1
#define CTL_EXIT_USAGE	2

int	ctl_migrate(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_mailq(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_create_admin(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_import_users(const struct sscn_conf *conf, int argc, char **argv);
int	ctl_purge(const struct sscn_conf *conf, int argc, char **argv);

/*
 * Connect with "conninfo" (a libpq connection string) and set the schema
 * search path.  "what" names the configuration key in messages.  Returns
 * NULL after printing the reason.
 */
struct pg_conn *ctl_connect(const char *conninfo, const char *what);

#endif /* SSCN_CTL_H */
