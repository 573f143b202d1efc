/*
 * pwhash_rate.c - how many Argon2id verifications per second this machine
 * does, for bench/run.
 *
 *	pwhash_rate -o OPSLIMIT -m MEMLIMIT [-p PROCS] [-d SECONDS]
 *
 * It hashes one random password with crypto_pwhash_str_alg() and
 * Argon2id at the given passes (OPSLIMIT) and memory in bytes (MEMLIMIT,
 * with an optional k, M or G suffix for powers of 1024).  Then PROCS
 * processes each call crypto_pwhash_str_verify() on that hash in a loop
 * for SECONDS.  This is the call that sscnd's POST /api/v1/auth/login
 * makes once per request, so its rate with as many processes as sscnd has
 * workers is the ceiling for the login's throughput.
 *
 * Output is one line on standard output, in the format of bench/run's
 * wrk lines:
 *
 *	result requests=N duration_us=D rps=R p50_us=A p99_us=B errors=0
 *	    cpu_us=C
 *
 * N is the number of verifications of all processes together, and D the
 * longest time that a process spent in its loop.  R is the sum of the
 * processes' own rates (verifications per second).  A and B are the median
 * and 99th percentile of the duration of one verification, and C is the
 * CPU time (user and system) per verification.  A verification that fails
 * is an error, so the program prints a message and exits 1.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define MAX_PROCS		256
#define MAX_SECONDS		600
/* Verifications whose duration a process records; later ones are only counted. */
#define MAX_SAMPLES		100000

/* Result that each process sends to the parent through its pipe. */
struct proc_result {
	uint64_t	verifications;
	uint64_t	elapsed_us;
	uint64_t	failures;
	uint64_t	nsamples;
};

static void
usage(void)
{
	fprintf(stderr, "usage: pwhash_rate -o OPSLIMIT -m MEMLIMIT [-p PROCS] "
	    "[-d SECONDS]\n"
	    "  -o OPSLIMIT  Argon2id passes over memory (%llu to %llu)\n"
	    "  -m MEMLIMIT  Argon2id memory in bytes, k, M or G suffix allowed\n"
	    "               (%zu to %zu)\n"
	    "  -p PROCS     processes that verify at the same time, 1 to %d "
	    "(default 1)\n"
	    "  -d SECONDS   how long each process verifies, 1 to %d "
	    "(default 10)\n",
	    (unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_MIN,
	    (unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_MAX,
	    (size_t)crypto_pwhash_argon2id_MEMLIMIT_MIN,
	    (size_t)crypto_pwhash_argon2id_MEMLIMIT_MAX,
	    MAX_PROCS, MAX_SECONDS);
	exit(2);
}

/*
 * Parse a decimal number with an optional k, M or G suffix (powers of
 * 1024, only when "suffixes" is set) within [min, max], or exit 2.
 */
static unsigned long long
parse_number(const char *s, int suffixes, unsigned long long min,
    unsigned long long max, const char *what)
{
	unsigned long long	value, scale = 1;
	char			*end;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto invalid;
	value = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		goto invalid;
	if (suffixes && (*end == 'k' || *end == 'K'))
		scale = 1024ULL;
	else if (suffixes && (*end == 'm' || *end == 'M'))
		scale = 1024ULL * 1024;
	else if (suffixes && (*end == 'g' || *end == 'G'))
		scale = 1024ULL * 1024 * 1024;
	if (scale != 1)
		end++;
	if (*end != '\0' || value > ULLONG_MAX / scale)
		goto invalid;
	value *= scale;
	if (value < min || value > max)
		goto invalid;
	return value;

invalid:
	errx(2, "invalid %s \"%s\": expected %llu to %llu%s", what, s, min, max,
	    suffixes ? " bytes, with an optional k, M or G suffix" : "");
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Write all of "buf" to "fd", or exit 1. */
static void
write_all(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "write to the parent process");
		p += n;
		len -= (size_t)n;
	}
}

/* Read exactly "len" bytes from "fd".  Returns 0, or -1 at an early EOF. */
static int
read_all(int fd, void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "read from a verifying process");
		if (n == 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Verify "password" against "hash" in a loop for "seconds", once the
 * parent closes the write end of "start_fd".  Sends a struct proc_result
 * and then the recorded durations (uint32_t microseconds) to "out_fd".
 * Runs in a child process and does not return.
 */
static void
verify_loop(const char *hash, const char *password, size_t password_len,
    unsigned seconds, int start_fd, int out_fd)
{
	struct proc_result	 r;
	uint32_t		*samples;
	uint64_t		 start, deadline, before, after;
	char			 byte;

	samples = calloc(MAX_SAMPLES, sizeof(*samples));
	if (samples == NULL)
		err(1, "calloc");
	memset(&r, 0, sizeof(r));

	/* Every process starts when the parent closes the pipe. */
	while (read(start_fd, &byte, 1) == -1 && errno == EINTR)
		continue;
	close(start_fd);

	start = now_us();
	deadline = start + (uint64_t)seconds * 1000000;
	after = start;
	while (after < deadline) {
		before = after;
		if (crypto_pwhash_str_verify(hash, password, password_len) != 0)
			r.failures++;
		after = now_us();
		if (r.nsamples < MAX_SAMPLES)
			samples[r.nsamples++] = after - before > UINT32_MAX ?
			    UINT32_MAX : (uint32_t)(after - before);
		r.verifications++;
	}
	r.elapsed_us = after - start;

	write_all(out_fd, &r, sizeof(r));
	write_all(out_fd, samples, r.nsamples * sizeof(*samples));
	close(out_fd);
	_exit(0);
}

static int
compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The "percent" percentile of the sorted "samples" (nearest rank). */
static uint32_t
percentile(const uint32_t *samples, size_t n, unsigned percent)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (n * percent + 99) / 100;
	return samples[rank > 0 ? rank - 1 : 0];
}

int
main(int argc, char *argv[])
{
	unsigned long long	 opslimit = 0;
	size_t			 memlimit = 0;
	unsigned		 seconds = 10;
	int			 nprocs = 1, ch, i, status, start_pipe[2];
	int			 out_fds[MAX_PROCS];
	pid_t			 pids[MAX_PROCS];
	unsigned char		 secret[16];
	char			 password[2 * sizeof(secret) + 1];
	char			 hash[crypto_pwhash_STRBYTES];
	struct proc_result	 r;
	struct rusage		 ru;
	uint32_t		*samples = NULL;
	size_t			 nsamples = 0;
	uint64_t		 verifications = 0, failures = 0, longest = 0;
	double			 rate = 0, cpu_us;
	int			 child_failed = 0;

	while ((ch = getopt(argc, argv, "o:m:p:d:")) != -1) {
		switch (ch) {
		case 'o':
			opslimit = parse_number(optarg, 0,
			    crypto_pwhash_argon2id_OPSLIMIT_MIN,
			    crypto_pwhash_argon2id_OPSLIMIT_MAX, "-o opslimit");
			break;
		case 'm':
			memlimit = (size_t)parse_number(optarg, 1,
			    crypto_pwhash_argon2id_MEMLIMIT_MIN,
			    crypto_pwhash_argon2id_MEMLIMIT_MAX, "-m memlimit");
			break;
		case 'p':
			nprocs = (int)parse_number(optarg, 0, 1, MAX_PROCS,
			    "-p process count");
			break;
		case 'd':
			seconds = (unsigned)parse_number(optarg, 0, 1,
			    MAX_SECONDS, "-d seconds");
			break;
		default:
			usage();
		}
	}
	if (opslimit == 0 || memlimit == 0 || optind != argc)
		usage();

	if (sodium_init() < 0)
		errx(1, "sodium_init failed");
	randombytes_buf(secret, sizeof(secret));
	sodium_bin2hex(password, sizeof(password), secret, sizeof(secret));
	if (crypto_pwhash_str_alg(hash, password, strlen(password), opslimit,
	    memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		errx(1, "crypto_pwhash_str_alg failed with opslimit %llu and "
		    "memlimit %zu (out of memory?)", opslimit, memlimit);

	if (pipe(start_pipe) == -1)
		err(1, "pipe");
	for (i = 0; i < nprocs; i++) {
		int out_pipe[2];

		if (pipe(out_pipe) == -1)
			err(1, "pipe");
		pids[i] = fork();
		if (pids[i] == -1)
			err(1, "fork");
		if (pids[i] == 0) {
			close(start_pipe[1]);
			close(out_pipe[0]);
			verify_loop(hash, password, strlen(password), seconds,
			    start_pipe[0], out_pipe[1]);
		}
		close(out_pipe[1]);
		out_fds[i] = out_pipe[0];
	}
	close(start_pipe[0]);
	close(start_pipe[1]);

	samples = calloc((size_t)nprocs * MAX_SAMPLES, sizeof(*samples));
	if (samples == NULL)
		err(1, "calloc");
	for (i = 0; i < nprocs; i++) {
		if (read_all(out_fds[i], &r, sizeof(r)) == -1 ||
		    r.nsamples > MAX_SAMPLES || read_all(out_fds[i],
		    samples + nsamples, r.nsamples * sizeof(*samples)) == -1) {
			warnx("process %ld sent no complete result",
			    (long)pids[i]);
			child_failed = 1;
			close(out_fds[i]);
			continue;
		}
		close(out_fds[i]);
		nsamples += r.nsamples;
		verifications += r.verifications;
		failures += r.failures;
		if (r.elapsed_us > longest)
			longest = r.elapsed_us;
		if (r.elapsed_us > 0)
			rate += (double)r.verifications * 1e6 /
			    (double)r.elapsed_us;
	}
	for (i = 0; i < nprocs; i++) {
		while (waitpid(pids[i], &status, 0) == -1)
			if (errno != EINTR)
				err(1, "waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			warnx("process %ld ended with %s %d", (long)pids[i],
			    WIFSIGNALED(status) ? "signal" : "exit status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
			child_failed = 1;
		}
	}
	sodium_memzero(password, sizeof(password));
	sodium_memzero(secret, sizeof(secret));
	if (child_failed)
		errx(1, "a verifying process failed; no result");
	if (failures > 0)
		errx(1, "%llu of %llu verifications failed",
		    (unsigned long long)failures,
		    (unsigned long long)verifications);

	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		err(1, "getrusage");
	cpu_us = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) *
	    1e6 + (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec;

	qsort(samples, nsamples, sizeof(*samples), compare_u32);
	printf("result requests=%llu duration_us=%llu rps=%.2f p50_us=%u "
	    "p99_us=%u errors=0 cpu_us=%.1f\n",
	    (unsigned long long)verifications, (unsigned long long)longest,
	    rate, percentile(samples, nsamples, 50),
	    percentile(samples, nsamples, 99),
	    verifications > 0 ? cpu_us / (double)verifications : 0.0);
	free(samples);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "write to standard output");
	return 0;
}
