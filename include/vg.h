/* Small helpers every module uses (and, through error.h, the error object). */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"

#define VG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parse an unsigned decimal integer that must fill the whole string; -EINVAL/-ERANGE. */
int vg_parse_u64(const char *s, uint64_t max, uint64_t *ret);
/* Boolean in the usual INI spellings: yes/no, true/false, on/off, 1/0. -EINVAL otherwise. */
int vg_parse_bool(const char *s, bool *ret);
/* Docker's container and volume name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1..255 bytes. */
bool vg_name_valid(const char *name);
/* strdup that aborts on OOM: a security tool that cannot allocate a few bytes stops. */
char *vg_strdup(const char *s) __attribute__((returns_nonnull));
void *vg_malloc0(size_t n) __attribute__((returns_nonnull));
void *vg_reallocarray(void *p, size_t n, size_t size) __attribute__((returns_nonnull));
/*
 * Room for element `n` of an array of n elements that grows one at a time: the capacity is
 * implied (the next power of two), so appending n elements costs O(n) copying, not O(n^2).
 * Valid as long as the array was only ever grown by this function (shrinking n is fine).
 */
void *vg_array_grow(void *p, size_t n, size_t size) __attribute__((returns_nonnull));
/* printf into a fresh string; aborts on OOM. */
char *vg_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), returns_nonnull));
/* A NULL-terminated string vector. */
void vg_strv_free(char **v);
size_t vg_strv_length(char *const *v);
/* Append a copy of s; aborts on OOM (never fails otherwise). */
void vg_strv_push(char ***v, const char *s);
bool vg_strv_contains(char *const *v, const char *s);

/*
 * Replace dir_fd/name with `len` bytes of `data`, atomically: a new file `tmp` in the same
 * directory (O_EXCL: it must not exist), mode `mode`, written, fsynced, renamed over `name`,
 * then the directory fsynced. A crash leaves the old file or the new one, never a torn one.
 * Returns 0 or -errno (-EEXIST when tmp exists); *ret_step names the step that failed. tmp is
 * removed on failure.
 */
int vg_replace_file_at(int dir_fd, const char *name, const char *tmp, const char *data, size_t len,
		       unsigned mode, const char **ret_step);

/*
 * A string made safe to show a person: every message that quotes something from outside (a
 * path, a name, a file's content) goes through it where it is printed, logged or written to
 * runc's log. Kept: printable ASCII and valid UTF-8 that is neither a control nor invisible.
 * Escaped: a backslash as \\, newline \n, tab \t, ESC \e; other C0 and C1 controls, DEL and
 * bytes that are not UTF-8 as \xNN (one per byte); bidirectional controls (U+061C, U+200E/F,
 * U+202A-202E, U+2066-2069), line/paragraph separators and zero-width characters as
 * \u{202e}. A fresh string (aborts on OOM); NULL gives "".
 */
char *vg_escape(const char *s) __attribute__((returns_nonnull));

/*
 * The one bounded "read a whole file": open file fd, a regular file of at most `max` bytes, read
 * to its end into a fresh buffer (NUL-terminated; *ret_len, if given, excludes the NUL).
 * -EINVAL when it is not a regular file, -EFBIG when it is larger than max or grows while read,
 * else -errno. *ret_st (optional) gets its fstat. Nothing is allocated on failure.
 */
int vg_read_fd(int fd, size_t max, char **ret, size_t *ret_len, struct stat *ret_st);
/* The same for name opened relative to dir_fd (AT_FDCWD: a path) without following a symlink,
 * without blocking on a FIFO or taking a terminal. */
int vg_read_file_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len,
		    struct stat *ret_st);
/* A failure r (< 0) of the two as a vg_error naming `what`: "WHAT: not a regular file", "WHAT:
 * larger than MAX bytes (or grew while read)", else "WHAT: cannot read: strerror". Returns r. */
int vg_read_error(struct vg_error *e, int r, const char *what, size_t max);

/* fopen(path, "re") for a file read from outside: refuses (EINVAL) anything but a regular file,
 * without blocking on a FIFO. NULL with errno set on failure. */
FILE *vg_fopen_regular(const char *path);
/* A small file of /proc (st_size is 0 there, so no size check applies): name opened relative to
 * dir_fd without following a symlink, up to size-1 bytes read into buf and NUL-terminated.
 * Returns the length or -errno. */
ssize_t vg_read_proc_file(int dir_fd, const char *name, char *buf, size_t size);
