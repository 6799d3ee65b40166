/* service.h: what running as a daemon needs: dropping privileges and the process's own
 * figures. */
#ifndef LW_APP_SERVICE_H
#define LW_APP_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

/* Become `user` (its uid, gid and supplementary groups) for good; every capability goes
 * with root.  The directories in `dirs` (NULL entries skipped) are given to the user first
 * so that logs can still be created, rotated and reopened.  False with a message on
 * stderr when the user is unknown or the switch fails (or is not permanent). */
bool drop_privileges(const char *user, const char *const *dirs, int ndirs);

/* Resident memory in MiB (0 if /proc is not there). */
uint64_t resident_mib(void);

#endif
