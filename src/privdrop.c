/*
 * privdrop.c - give up root before serving requests.
 *
 * sscnd started as root opens its socket first, then becomes "user" and
 * "group" of sscn.conf for good: supplementary groups, real, effective and
 * saved ids all change, and the switch is verified by trying to get root
 * back.  Serving requests as root is refused outright.  Started as any
 * other user (as the systemd unit does), there is nothing to drop.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "sscn.h"

int
privdrop(const struct sscn_conf *conf)
{
	struct passwd	*pw;
	struct group	*gr;
	uid_t		 ruid, euid, suid;
	gid_t		 rgid, egid, sgid;
	gid_t		 gid;

	if (geteuid() != 0)
		return 0;

	if (conf->user == NULL) {
		log_error(NULL, "privdrop_failed", "error=\"sscnd runs as root "
		    "but user is not set in the configuration file; it will "
		    "not serve requests as root\"");
		return -1;
	}
	pw = getpwnam(conf->user);
	if (pw == NULL || pw->pw_uid == 0) {
		log_error(NULL, "privdrop_failed", "error=\"user is unknown or "
		    "is root\"");
		return -1;
	}
	gid = pw->pw_gid;
	if (conf->group != NULL) {
		gr = getgrnam(conf->group);
		if (gr == NULL) {
			log_error(NULL, "privdrop_failed", "error=\"group is "
			    "unknown\"");
			return -1;
		}
		gid = gr->gr_gid;
	}

	if (setgroups(1, &gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_error(NULL, "privdrop_failed", "error=\"%s\"",
		    strerror(errno));
		return -1;
	}

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != gid || egid != gid || sgid != gid || setuid(0) != -1) {
		log_error(NULL, "privdrop_failed", "error=\"the user and group "
		    "ids did not change as requested\"");
		return -1;
	}

	log_info(NULL, "privileges_dropped", "uid=%ld gid=%ld",
	    (long)pw->pw_uid, (long)gid);
	return 0;
}
