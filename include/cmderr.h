/* Usage errors of the command line, printed by the commands (main.c and src/cmd_*.c). */
#pragma once

/* Prints "volguard CMD: MESSAGE" and a pointer to CMD's --help on stderr (the message escaped);
 * CMD "" is volguard itself. Returns VG_EXIT_ERROR, the exit code of a usage error. */
int vg_cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt returned '?': the option it could not take, named (escaped) in a usage error. getopt's
 * own messages are off (opterr = 0): they would print the argument raw. */
int vg_cmd_bad_option(const char *cmd, char **argv);
