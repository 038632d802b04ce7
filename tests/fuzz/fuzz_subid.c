/* /etc/subuid and /etc/subgid lines, then the first fit that must avoid every delegation. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "ranges.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_intervals s = { 0 };
	struct vg_error e = { 0 };
	char path[64];
	uint64_t start;
	int fd, r;

	fd = memfd_create("subuid", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = vg_intervals_add_subid_file(&s, path, &e);
	close(fd);
	if (r < 0) {
		FUZZ_CHECK(strncmp(e.msg, path, strlen(path)) == 0);
		vg_intervals_free(&s);
		return 0;
	}
	vg_intervals_add_reserved(&s);
	vg_intervals_normalize(&s);
	for (size_t i = 0; i < s.n; i++) {
		FUZZ_CHECK(s.v[i].first <= s.v[i].last);
		if (i > 0)
			FUZZ_CHECK(s.v[i - 1].last < s.v[i].first);
	}
	if (vg_intervals_first_fit(&s, 65536, UINT32_MAX - 1, 65536, 65536, &start) == 0) {
		FUZZ_CHECK(start % 65536 == 0 && start + 65535 <= UINT32_MAX - 1);
		for (size_t i = 0; i < s.n; i++)
			FUZZ_CHECK(s.v[i].last < start || s.v[i].first > start + 65535);
	}
	vg_intervals_free(&s);
	return 0;
}
