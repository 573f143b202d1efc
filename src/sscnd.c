/*
 * sscnd.c - start-up of the SSCN FastCGI server: options, configuration,
 * socket, privilege drop, then the master loop (master.c).
 *
 * Order matters: the configuration is read and checked before anything is
 * created, the socket is opened while still privileged (its directory may
 * be root's), and privileges are dropped before the first worker exists,
 * so no code that touches a request ever runs as root.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "sscn.h"
#include "crypto/keys.h"

#define SSCND_DEFAULT_CONF SYSCONFDIR "/sscn/sscn.conf"

static void
sscnd_usage(FILE *out)
{
	fprintf(out, "usage: sscnd [-nvV] [-c config]\n"
	    "  -c config  configuration file (default %s)\n"
	    "  -n         check the configuration file and exit\n"
	    "  -v         log at debug level\n"
	    "  -V         print the version and exit\n", SSCND_DEFAULT_CONF);
}

/* Keys sscnd cannot run without; conf_load() does not know the program. */
static int
sscnd_check_conf(const struct sscn_conf *conf, const char *path, char *err,
    size_t errlen)
{
	struct sscn_keys	*keys = NULL;
	char			 reason[512];

	if (conf->database == NULL || *conf->database == '\0') {
		snprintf(err, errlen, "%s: database is not set (a libpq "
		    "connection string for the runtime role)", path);
		return -1;
	}
	if (conf->password_min_length > conf->password_max_length) {
		snprintf(err, errlen, "%s: password_min_length %u is greater "
		    "than password_max_length %u", path,
		    conf->password_min_length, conf->password_max_length);
		return -1;
	}
	if (strlen(conf->jwt_issuer) > 127 || strlen(conf->jwt_audience) > 127) {
		snprintf(err, errlen, "%s: jwt_issuer and jwt_audience must be "
		    "at most 127 bytes", path);
		return -1;
	}

	/* Workers would start without keys on a bad key file; fail here instead. */
	if (keys_load(conf->key_file, conf->jwt_signing_key, &keys, reason,
	    sizeof(reason)) == -1) {
		snprintf(err, errlen, "%s: key_file: %s", path, reason);
		return -1;
	}
	keys_free(keys);
	return 0;
}

int
main(int argc, char **argv)
{
	const char		*conf_path = SSCND_DEFAULT_CONF;
	struct sscn_conf	 conf;
	struct sscn_keys	*keys = NULL;
	char			 err[1024];
	char			 escaped[1100];
	bool			 check_only = false;
	bool			 verbose = false;
	bool			 socket_owned, has_path;
	/* Longer than any sun_path with its terminating NUL. */
	char			 socket_path[sizeof(struct sockaddr_un)];
	int			 ch, listen_fd, status;

	while ((ch = getopt(argc, argv, "c:nvVh")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			if (optind != argc) {
				sscnd_usage(stderr);
				return 2;
			}
			printf("sscnd %s (schema %d)\n", PACKAGE_VERSION,
			    SSCN_SCHEMA_VERSION);
			return 0;
		case 'h':
			sscnd_usage(stdout);
			return 0;
		default:
			sscnd_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		sscnd_usage(stderr);
		return 2;
	}

	log_init("sscnd", verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	conf_defaults(&conf);
	if (conf_load(conf_path, &conf, err, sizeof(err)) == -1 ||
	    sscnd_check_conf(&conf, conf_path, err, sizeof(err)) == -1) {
		if (check_only)
			fprintf(stderr, "sscnd: %s\n", err);
		else
			log_error(NULL, "config_invalid", "reason=%s",
			    log_escape(escaped, sizeof(escaped), err));
		conf_free(&conf);
		return 1;
	}
	if (check_only) {
		printf("sscnd: configuration file %s is valid\n", conf_path);
		conf_free(&conf);
		return 0;
	}
	if (verbose)
		log_pin_level(LOG_LEVEL_DEBUG);
	else
		log_set_level(conf.log_level);
	conf.workers = conf_worker_count(&conf);

	if (sodium_init() < 0) {
		log_error(NULL, "start_failed", "error=\"libsodium could not "
		    "initialise\"");
		conf_free(&conf);
		return 1;
	}

	/*
	 * The master reads the keys before it drops privileges, so the key
	 * file may be readable by root alone; workers get them by fork().
	 */
	if (keys_load(conf.key_file, conf.jwt_signing_key, &keys, err,
	    sizeof(err)) == -1) {
		log_error(NULL, "key_file_failed", "reason=%s",
		    log_escape(escaped, sizeof(escaped), err));
		conf_free(&conf);
		return 1;
	}

	listen_fd = socket_open(&conf, &socket_owned);
	if (listen_fd == -1 || privdrop(&conf) == -1) {
		if (listen_fd != -1 && socket_owned)
			unlink(conf.socket_path);
		keys_free(keys);
		conf_free(&conf);
		return 1;
	}

	/*
	 * The master removes the socket's file when the stop begins, also
	 * the file of a socket that systemd passed, because the socket unit
	 * stops with sscnd and removes it then anyway (RemoveOnStop=yes).
	 */
	has_path = socket_bound_path(listen_fd, socket_path,
	    sizeof(socket_path)) == 0;
	status = master_run(&conf, conf_path, listen_fd,
	    has_path ? socket_path : NULL, keys);
	close(listen_fd);
	return status;
}
