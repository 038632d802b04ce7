/* Bench/test helper: make TOP/dNNN/dNNN/fNNN trees, or one deep chain, or one wide directory.
 *   gentree tree DIR NTOP NSUB NFILES   NTOP*NSUB directories with NFILES empty files each
 *   gentree deep DIR DEPTH              a chain of DEPTH directories, one file at the bottom
 *   gentree wide DIR N                  N empty files in DIR */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void files(int dfd, long n)
{
	char name[32];
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%ld", i);
		int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			die("create");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	int root;

	if (argc < 4)
		return 2;
	umask(022);
	root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		die(argv[2]);
	if (strcmp(argv[1], "tree") == 0 && argc == 6) {
		long ntop = atol(argv[3]), nsub = atol(argv[4]), nf = atol(argv[5]);
		char name[32];
		for (long t = 0; t < ntop; t++) {
			snprintf(name, sizeof(name), "d%ld", t);
			if (mkdirat(root, name, 0755) < 0)
				die("mkdir");
			int tfd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			for (long s = 0; s < nsub; s++) {
				snprintf(name, sizeof(name), "s%ld", s);
				if (mkdirat(tfd, name, 0755) < 0)
					die("mkdir");
				int sfd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				files(sfd, nf);
				close(sfd);
			}
			close(tfd);
		}
	} else if (strcmp(argv[1], "deep") == 0) {
		long depth = atol(argv[3]);
		int fd = root;
		for (long i = 0; i < depth; i++) {
			if (mkdirat(fd, "d", 0755) < 0)
				die("mkdir");
			int n = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (n < 0)
				die("open");
			if (fd != root)
				close(fd);
			fd = n;
		}
		files(fd, 1);
	} else if (strcmp(argv[1], "wide") == 0) {
		files(root, atol(argv[3]));
	} else
		return 2;
	return 0;
}
