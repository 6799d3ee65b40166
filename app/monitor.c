/* monitor.c: --monitor DIR (monitor.h). */
#define _GNU_SOURCE
#include "app/monitor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

/* A file is known by these: a new file under an old name is a new capture. */
struct key {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

enum seen { SEEN_PENDING, SEEN_DONE, SEEN_NOT_CAPTURE };

struct entry {
    struct key key;
    char *path;
    enum seen state;
    int64_t stable_since;            /* the clock when it was first seen with this key */
    bool present;                    /* found by the latest scan */
    bool writing;                    /* inotify: modified and not closed since */
};

struct monitor {
    char *dir;
    char *state_path;
    FILE *state;                     /* appended to */
    struct entry *v;
    size_t n, cap;
    size_t current;                  /* the entry monitor_next() returned */
    uint64_t not_captures;
    /* inotify: which files are being written, whoever writes them (the /proc check cannot
     * see other users' processes) */
    int ino;                         /* -1 when inotify is not available */
    struct watch {
        int wd;
        char *path;
    } *watches;
    size_t nwatches;
};

static struct key key_of(const struct stat *st)
{
    return (struct key){(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec};
}

static bool same_key(const struct key *a, const struct key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns;
}

static struct entry *find(struct monitor *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}

static struct entry *add(struct monitor *m, const char *path, const struct key *k,
                         enum seen state)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        struct entry *nv = realloc(m->v, nc * sizeof(*nv));
        if (!nv)
            return NULL;
        m->v = nv;
        m->cap = nc;
    }
    char *p = strdup(path);
    if (!p)
        return NULL;
    m->v[m->n] = (struct entry){.key = *k, .path = p, .state = state};
    return &m->v[m->n++];
}

/* State lines: dev ino size mtime_ns path (tab-separated; the path last, as it is). */
static void load_state(struct monitor *m)
{
    FILE *f = fopen(m->state_path, "r");
    if (!f)
        return;
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        struct key k;
        int off = 0;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%" SCNu64 "\t%" SCNu64 "\t%" SCNu64 "\t%" SCNd64 "\t%n", &k.dev,
                   &k.ino, &k.size, &k.mtime_ns, &off) != 4 || !off)
            continue; /* a torn last line after a crash */
        struct stat st;
        struct key now;
        /* forget what is gone or replaced: the state file does not grow forever */
        if (stat(line + off, &st) != 0 || (now = key_of(&st), !same_key(&now, &k)))
            continue;
        struct entry *e = find(m, line + off);
        if (e)
            e->key = k;
        else
            add(m, line + off, &k, SEEN_DONE);
    }
    fclose(f);
}

static void watch_dir(struct monitor *m, const char *dir);

/* Rewrite the state file with what is still there (atomically), then append to it. */
static bool open_state(struct monitor *m, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.new", m->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write monitor state '%s': %s", tmp, strerror(errno));
        return false;
    }
    for (size_t i = 0; i < m->n; i++)
        fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%s\n", m->v[i].key.dev,
                m->v[i].key.ino, m->v[i].key.size, m->v[i].key.mtime_ns, m->v[i].path);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
        rename(tmp, m->state_path) != 0) {
        snprintf(err, errlen, "cannot write monitor state '%s': %s", m->state_path,
                 strerror(errno));
        return false;
    }
    m->state = fopen(m->state_path, "a");
    if (!m->state) {
        snprintf(err, errlen, "cannot write monitor state '%s': %s", m->state_path,
                 strerror(errno));
        return false;
    }
    return true;
}

struct monitor *monitor_open(const char *dir, const char *state, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--monitor: '%s' is not a directory%s%s", dir,
                 errno ? ": " : "", errno ? strerror(errno) : "");
        return NULL;
    }
    struct monitor *m = calloc(1, sizeof(*m));
    if (m)
        m->ino = -1;
    /* the real path: the state file's paths stay the same however DIR is spelled */
    if (!m || !(m->dir = realpath(dir, NULL)) || !(m->state_path = strdup(state))) {
        snprintf(err, errlen, "out of memory");
        monitor_close(m);
        return NULL;
    }
    m->current = SIZE_MAX;
    /* watch before the first scan: a file written meanwhile is seen either way */
    m->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    watch_dir(m, m->dir);
    load_state(m);
    if (!open_state(m, err, errlen)) {
        monitor_close(m);
        return NULL;
    }
    return m;
}

/* Does any process we can see hold `path` open for writing?  Best effort: after -u, other
 * users' processes are not visible and the settle time alone decides. */
static bool open_for_writing(const char *path, const struct stat *target)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return false;
    bool found = false;
    struct dirent *p;
    while (!found && (p = readdir(proc))) {
        if (p->d_name[0] < '0' || p->d_name[0] > '9')
            continue;
        char fddir[300];
        snprintf(fddir, sizeof(fddir), "/proc/%s/fd", p->d_name);
        DIR *fds = opendir(fddir);
        if (!fds)
            continue;
        struct dirent *fd;
        while (!found && (fd = readdir(fds))) {
            if (fd->d_name[0] == '.')
                continue;
            char link[600];
            struct stat st;
            snprintf(link, sizeof(link), "%s/%s", fddir, fd->d_name);
            if (stat(link, &st) != 0 || st.st_ino != target->st_ino ||
                st.st_dev != target->st_dev)
                continue;
            char info[600], buf[256];
            snprintf(info, sizeof(info), "/proc/%s/fdinfo/%s", p->d_name, fd->d_name);
            FILE *f = fopen(info, "r");
            if (!f)
                continue;
            while (fgets(buf, sizeof(buf), f)) {
                unsigned flags;
                if (sscanf(buf, "flags: %o", &flags) == 1 && (flags & O_ACCMODE) != O_RDONLY)
                    found = true;
            }
            fclose(f);
        }
        closedir(fds);
    }
    closedir(proc);
    (void)path;
    return found;
}

static void watch_dir(struct monitor *m, const char *dir)
{
    if (m->ino < 0)
        return;
    int wd = inotify_add_watch(m->ino, dir, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE |
                                                IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0)
        return;
    for (size_t i = 0; i < m->nwatches; i++)
        if (m->watches[i].wd == wd)
            return; /* watched already */
    struct watch *nw = realloc(m->watches, (m->nwatches + 1) * sizeof(*nw));
    char *p = strdup(dir);
    if (!nw || !p) {
        free(p);
        if (nw)
            m->watches = nw;
        return;
    }
    m->watches = nw;
    m->watches[m->nwatches++] = (struct watch){wd, p};
}

/* What inotify saw since the last call: a file modified is being written until it is
 * closed (or moved in whole). */
static void drain_events(struct monitor *m, int64_t now)
{
    if (m->ino < 0)
        return;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(m->ino, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            if (!ev->len || (ev->mask & IN_ISDIR))
                continue; /* new directories are found (and watched) by the scan */
            const char *dir = NULL;
            for (size_t i = 0; i < m->nwatches && !dir; i++)
                if (m->watches[i].wd == ev->wd)
                    dir = m->watches[i].path;
            char path[4096];
            if (!dir || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, ev->name) >=
                            sizeof(path))
                continue;
            struct entry *e = find(m, path);
            if (!e) {
                struct key none = {0};
                e = add(m, path, &none, SEEN_PENDING);
                if (!e)
                    continue;
                e->stable_since = now;
            }
            if (ev->mask & (IN_CREATE | IN_MODIFY))
                e->writing = true;
            if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
                e->writing = false;
        }
    }
}

static bool is_capture(const char *path)
{
    uint8_t b[4];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t got = fread(b, 1, 4, f);
    fclose(f);
    if (got != 4)
        return false;
    uint32_t m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 ||
           m == 0x0a0d0d0a || (m >> 16) == 0x1f8b;
}

static void scan(struct monitor *m, const char *dir, int depth, int64_t now)
{
    if (depth > 16)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        /* dot files and names writers use before renaming into place are not ready */
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || (len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) ||
            (len > 5 && !strcmp(e->d_name + len - 5, ".part")))
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            watch_dir(m, path);
            scan(m, path, depth + 1, now);
            continue;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        struct key k = key_of(&st);
        struct entry *en = find(m, path);
        if (!en) {
            en = add(m, path, &k, SEEN_PENDING);
            if (!en)
                continue;
            en->stable_since = now;
        } else if (!same_key(&en->key, &k)) {
            /* growing, or a new file under the old name */
            en->key = k;
            en->state = SEEN_PENDING;
            en->stable_since = now;
        }
        en->present = true;
    }
    closedir(d);
}

const char *monitor_next(struct monitor *m)
{
    int64_t now = wall_clock_us();
    drain_events(m, now);
    for (size_t i = 0; i < m->n; i++)
        m->v[i].present = false;
    scan(m, m->dir, 0, now);
    /* the oldest ready capture */
    struct entry *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        struct entry *e = &m->v[i];
        if (!e->present || e->state != SEEN_PENDING || e->writing ||
            now - e->stable_since < MONITOR_SETTLE_USEC)
            continue;
        if (!best || e->key.mtime_ns < best->key.mtime_ns ||
            (e->key.mtime_ns == best->key.mtime_ns && strcmp(e->path, best->path) < 0))
            best = e;
    }
    while (best) {
        struct stat st;
        if (stat(best->path, &st) != 0)
            return NULL;
        if (open_for_writing(best->path, &st)) {
            best->stable_since = now; /* a quiet writer: look again after the settle time */
            return NULL;
        }
        if (!is_capture(best->path)) {
            fprintf(stderr, "lolwire: --monitor: %s is not a pcap or pcapng file; skipped\n",
                    best->path);
            best->state = SEEN_NOT_CAPTURE;
            m->not_captures++;
            return NULL;
        }
        m->current = (size_t)(best - m->v);
        return best->path;
    }
    return NULL;
}

bool monitor_done(struct monitor *m)
{
    if (m->current >= m->n)
        return true;
    struct entry *e = &m->v[m->current];
    m->current = SIZE_MAX;
    e->state = SEEN_DONE;
    fprintf(m->state, "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%s\n", e->key.dev,
            e->key.ino, e->key.size, e->key.mtime_ns, e->path);
    if (fflush(m->state) != 0 || fsync(fileno(m->state)) != 0) {
        fprintf(stderr, "lolwire: --monitor: cannot write state '%s': %s (the capture may be "
                        "read again after a restart)\n", m->state_path, strerror(errno));
        return false;
    }
    return true;
}

uint64_t monitor_not_captures(const struct monitor *m)
{
    return m->not_captures;
}

void monitor_close(struct monitor *m)
{
    if (!m)
        return;
    if (m->state)
        fclose(m->state);
    if (m->ino >= 0)
        close(m->ino);
    for (size_t i = 0; i < m->nwatches; i++)
        free(m->watches[i].path);
    free(m->watches);
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    free(m->dir);
    free(m->state_path);
    free(m);
}
