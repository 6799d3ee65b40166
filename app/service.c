/* service.c: privilege drop (-u) and the process's resident memory. */
#include "app/service.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

bool drop_privileges(const char *user, const char *const *dirs, int ndirs)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "lolwire: -u: no user '%s'%s%s\n", user, errno ? ": " : "",
                errno ? strerror(errno) : "");
        return false;
    }
    if (geteuid() != 0) {
        if (pw->pw_uid == geteuid())
            return true; /* already that user: nothing to give up */
        fprintf(stderr, "lolwire: -u %s: only root can switch users (running as uid %u)\n",
                user, (unsigned)geteuid());
        return false;
    }
    /* The log directories (and carve/extract ones) must stay writable: rotation renames,
     * SIGHUP reopens and new logs appear after the switch.  tcpdump -Z does the same for
     * its output file. */
    for (int i = 0; i < ndirs; i++)
        if (dirs[i] && chown(dirs[i], pw->pw_uid, pw->pw_gid) != 0) {
            fprintf(stderr, "lolwire: -u %s: cannot give %s to the user: %s\n", user, dirs[i],
                    strerror(errno));
            return false;
        }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "lolwire: -u %s: cannot switch: %s\n", user, strerror(errno));
        return false;
    }
    /* For good: no way back to root, and so no capability (a raw socket cannot be opened
     * any more). */
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        fprintf(stderr, "lolwire: -u %s: could regain root after the switch; stopping\n", user);
        return false;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return true;
}

uint64_t resident_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size = 0, resident = 0;
    int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    if (got != 2)
        return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) >> 20;
}
