/* Test helper: swap two names in a directory with renameat2(RENAME_EXCHANGE) until killed
 * (or N times; N < 0 is forever), sleeping USEC microseconds between swaps (default 0, so that
 * the tight loop of the fix tests stays as it was): racer DIR NAME1 NAME2 [N [USEC]]. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 4 ? atol(argv[4]) : -1;
	long usec = argc > 5 ? atol(argv[5]) : 0;
	int dfd;

	if (argc < 4)
		return 2;
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (long i = 0; n < 0 || i < n; i++) {
		if (renameat2(dfd, argv[2], dfd, argv[3], RENAME_EXCHANGE) < 0) {
			perror("renameat2");
			return 1;
		}
		if (usec > 0)
			usleep((useconds_t)usec);
	}
	return 0;
}
