/* options.c: command-line parsing (getopt_long) with usage errors that say what to fix. */
#include "app/options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "detect/rules.h"
#include "dissect/files.h"
#include "version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lolwire [options] [capture filter]\n"
            "\n"
            "Passive sensor: decodes traffic, tracks connections and writes Zeek-style logs.\n"
            "\n"
            "Sources (at least one):\n"
            "  -r, --read FILE         read a pcap or pcapng file ('-' for stdin); repeatable\n"
            "  -R, --read-dir DIR      read every capture under DIR, oldest first; repeatable\n"
            "  -i, --interface IFACE   capture live from IFACE (needs CAP_NET_RAW)\n"
            "  --monitor DIR           read each capture that appears in DIR once it is complete,\n"
            "                          oldest first, until stopped; remembered across restarts\n"
            "                          in LOGDIR/.lolwire-monitor.state\n"
            "\n"
            "Output:\n"
            "  -o, --log-dir DIR       log directory, created if missing (default ./logs)\n"
            "  --json                  write JSON lines instead of Zeek TSV\n"
            "  --eve FILE              also write alerts as Suricata EVE JSON lines (appends)\n"
            "  --rotate SECONDS        rotate the logs every SECONDS (packet time when reading\n"
            "                          files): conn.START_END.log; SIGHUP reopens every log\n"
            "                          and the EVE file (for logrotate)\n"
            "  --tag NAME              a _tag column with NAME in every log (case, sensor)\n"
            "  --stats-interval SECONDS  stats.log and capture_loss.log every SECONDS (default\n"
            "                          300; 0 never)\n"
            "  --kafka BROKERS         also send every log line as JSON to Kafka (host:port,..)\n"
            "  --kafka-topic-prefix P  topic = P + log name (default lolwire.)\n"
            "  --kafka-timeout SECONDS at exit, wait this long for the brokers (default 10)\n"
            "\n"
            "Carving:\n"
            "  --carve DIR             write the packets of each connection with a notice at or\n"
            "                          above --carve-severity to DIR/UID.pcap\n"
            "  --carve-severity LEVEL  info, low, medium (default) or high\n"
            "  --carve-max-bytes N     packet bytes kept per connection until its verdict\n"
            "                          (default 1M)\n"
            "  --extract DIR           store the bodies of downloads with a notice as DIR/SHA256\n"
            "                          (files.log: extracted)\n"
            "  --extract-max-size N    largest body stored (default 64M)\n"
            "  --extract-total N       stop storing past N bytes in all (default 1G)\n"
            "\n"
            "Detection:\n"
            "  --rules FILE            add rules, lists and allowlists from FILE; repeatable\n"
            "                          (docs/rules.md)\n"
            "  --no-builtin-rules      do not load the built-in rules\n"
            "  --list-rules            check the rules, print them and exit\n"
            "  --min-severity LEVEL    write notices of LEVEL and above: info, low (default),\n"
            "                          medium, high\n"
            "  --geoip-db FILE         MaxMind City/Country or ASN database; repeatable\n"
            "                          (default: GeoLite2/GeoIP2 files in /usr/share/GeoIP,\n"
            "                          /var/lib/GeoIP, /usr/local/share/GeoIP)\n"
            "  --no-geoip              no GeoIP, not even the default search\n"
            "\n"
            "Host events:\n"
            "  --host-events PATH      Sysmon/Windows events: ECS or flat JSON lines, event XML\n"
            "                          lines, EVTX; a file, a directory or '-'; repeatable\n"
            "  --follow                keep reading the --host-events files as they grow\n"
            "  --host-wait SECONDS     with --follow: how long (packet time) a transaction with\n"
            "                          no known process waits for host events; if they come,\n"
            "                          follow-up notices are written (default 300)\n"
            "\n"
            "Tuning:\n"
            "  --local-nets CIDR[,..]  the site's networks (fills local_orig/local_resp)\n"
            "  --threads N             worker threads, each with its own connections (default\n"
            "                          1); live: one socket per worker in a PACKET_FANOUT group\n"
            "  --max-flows N           connections tracked at once, shared out among the\n"
            "                          workers (default %u)\n"
            "  --hashes POLICY         auto (default: MD5, SHA-1, SHA-256 of payloads, SHA-256\n"
            "                          of images, media, fonts, HTML, CSS), all, none, or a list\n"
            "                          of md5,sha1,sha256 for every body\n"
            "  --keep-duplicates       keep packets that repeat one just seen on the connection\n"
            "                          (by default they are dropped as SPAN duplicates)\n"
            "  --community-id-seed N   Community ID seed, 0-65535 (default 0)\n"
            "  --seed N                deterministic uids (for tests and reproducible replays)\n"
            "  -s, --snaplen SNAPLEN   live capture snap length (default 262144)\n"
            "\n"
            "Service:\n"
            "  -c, --config FILE       read options from FILE first (key = value, keys are the\n"
            "                          long options; the command line wins)\n"
            "  -u, --user USER         once the sources and logs are open, run as USER (its\n"
            "                          groups, no capabilities)\n"
            "\n"
            "  -q, --quiet             no summary at exit\n"
            "  -v, --verbose           print every counter at exit\n"
            "  -V, --version           print the version\n"
            "  -h, --help              this help\n"
            "\n"
            "The capture filter uses tcpdump's syntax (pcap-filter(7)), e.g. 'tcp port 80'.\n"
            "Exit status: 0 success, 1 runtime failure, 2 usage error.\n",
            FLOW_MAX_DEFAULT);
}

/* Where the option being parsed came from: "" for the command line, "FILE:LINE: " for the
 * configuration file; every usage error names it. */
static char where[4200];

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lolwire: %s", where);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

enum {
    OPT_JSON = 256, OPT_SEED, OPT_CID_SEED, OPT_LOCAL_NETS, OPT_MAX_FLOWS, OPT_RULES,
    OPT_NO_BUILTIN, OPT_LIST_RULES, OPT_MIN_SEV, OPT_EVE, OPT_GEOIP, OPT_NO_GEOIP, OPT_HOST_EVENTS, OPT_FOLLOW, OPT_HOST_WAIT,
    OPT_KEEP_DUPS, OPT_HASHES, OPT_THREADS, OPT_ROTATE, OPT_MONITOR, OPT_TAG, OPT_STATS,
    OPT_KAFKA, OPT_KAFKA_PREFIX, OPT_KAFKA_TIMEOUT, OPT_CARVE, OPT_CARVE_SEV, OPT_CARVE_MAX,
    OPT_EXTRACT, OPT_EXTRACT_MAX, OPT_EXTRACT_TOTAL
};

/* Repeatable options a configuration file set: the command line replaces their lists. */
enum { LIST_FILES = 1, LIST_DIRS = 2, LIST_RULES = 4, LIST_GEOIP = 8, LIST_HOST_EVENTS = 16 };

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"seed", required_argument, NULL, OPT_SEED},
    {"community-id-seed", required_argument, NULL, OPT_CID_SEED},
    {"local-nets", required_argument, NULL, OPT_LOCAL_NETS},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"rotate", required_argument, NULL, OPT_ROTATE},
    {"keep-duplicates", no_argument, NULL, OPT_KEEP_DUPS},
    {"hashes", required_argument, NULL, OPT_HASHES},
    {"rules", required_argument, NULL, OPT_RULES},
    {"no-builtin-rules", no_argument, NULL, OPT_NO_BUILTIN},
    {"list-rules", no_argument, NULL, OPT_LIST_RULES},
    {"min-severity", required_argument, NULL, OPT_MIN_SEV},
    {"eve", required_argument, NULL, OPT_EVE},
    {"geoip-db", required_argument, NULL, OPT_GEOIP},
    {"no-geoip", no_argument, NULL, OPT_NO_GEOIP},
    {"host-events", required_argument, NULL, OPT_HOST_EVENTS},
    {"follow", no_argument, NULL, OPT_FOLLOW},
    {"host-wait", required_argument, NULL, OPT_HOST_WAIT},
    {"read", required_argument, NULL, 'r'},
    {"read-dir", required_argument, NULL, 'R'},
    {"interface", required_argument, NULL, 'i'},
    {"log-dir", required_argument, NULL, 'o'},
    {"snaplen", required_argument, NULL, 's'},
    {"config", required_argument, NULL, 'c'},
    {"user", required_argument, NULL, 'u'},
    {"monitor", required_argument, NULL, OPT_MONITOR},
    {"tag", required_argument, NULL, OPT_TAG},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"kafka", required_argument, NULL, OPT_KAFKA},
    {"kafka-topic-prefix", required_argument, NULL, OPT_KAFKA_PREFIX},
    {"kafka-timeout", required_argument, NULL, OPT_KAFKA_TIMEOUT},
    {"carve", required_argument, NULL, OPT_CARVE},
    {"carve-severity", required_argument, NULL, OPT_CARVE_SEV},
    {"carve-max-bytes", required_argument, NULL, OPT_CARVE_MAX},
    {"extract", required_argument, NULL, OPT_EXTRACT},
    {"extract-max-size", required_argument, NULL, OPT_EXTRACT_MAX},
    {"extract-total", required_argument, NULL, OPT_EXTRACT_TOTAL},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
    };


/* --hashes: "auto" (every hash for payloads, SHA-256 for display content), "all",
 * "none", or a comma list of md5, sha1, sha256 for every body. */
static bool parse_hashes(const char *s, struct options *o)
{
    if (strcmp(s, "auto") == 0) {
        o->hash_payload = FILE_HASH_PAYLOAD_DEFAULT;
        o->hash_display = FILE_HASH_DISPLAY_DEFAULT;
        return true;
    }
    if (strcmp(s, "all") == 0 || strcmp(s, "none") == 0) {
        o->hash_payload = o->hash_display = s[0] == 'a' ? FILE_HASH_ALL : 0;
        return true;
    }
    unsigned mask = 0;
    char buf[64];
    if (strlen(s) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "md5") == 0)
            mask |= FILE_HASH_MD5;
        else if (strcmp(t, "sha1") == 0)
            mask |= FILE_HASH_SHA1;
        else if (strcmp(t, "sha256") == 0)
            mask |= FILE_HASH_SHA256;
        else
            return false;
    }
    if (!mask)
        return false;
    o->hash_payload = o->hash_display = mask;
    return true;
}

/* A repeatable option seen on the command line replaces the file's list. */
static void list_reset(struct options *o, unsigned bit, int *count, bool from_file)
{
    if (from_file) {
        o->lists_from_file |= bit;
    } else if (o->lists_from_file & bit) {
        o->lists_from_file &= ~bit;
        *count = 0;
    }
}

/* --tag goes into every log line: printable ASCII, no separators. */
static bool tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
            return false;
    return true;
}

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
static bool parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char num[32];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(num))
        return false;
    memcpy(num, s, n + 1);
    unsigned shift = 0;
    const char *units = "KMGT";
    const char *u = strchr(units, num[n - 1] & ~0x20);
    if (num[n - 1] && u) {
        shift = 10 * (unsigned)(u - units + 1);
        num[n - 1] = '\0';
    }
    uint64_t v;
    if (!parse_u64(num, UINT64_MAX >> shift, &v))
        return false;
    v <<= shift;
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* One pass of getopt over argv: the command line, or one configuration entry. */
static enum opt_result apply(struct options *o, int argc, char **argv, bool from_file)
{
    opterr = 0;
    optind = 0; /* glibc: start afresh (apply runs once per configuration entry) */
    int c;
    uint64_t v;
    char err[256];
    while ((c = getopt_long(argc, argv, "+r:R:i:o:s:c:u:qvVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            list_reset(o, LIST_FILES, &o->nfiles, from_file);
            if (o->nfiles == OPT_MAX_FILES) {
                bad("too many -r files (at most %d); use -R DIR\n",
                        OPT_MAX_FILES);
                return OPT_USAGE_ERROR;
            }
            o->files[o->nfiles++] = optarg;
            break;
        case 'R':
            list_reset(o, LIST_DIRS, &o->ndirs, from_file);
            if (o->ndirs == 64) {
                bad("too many -R directories (at most 64)\n");
                return OPT_USAGE_ERROR;
            }
            o->dirs[o->ndirs++] = optarg;
            break;
        case 'i':
            o->iface = optarg;
            break;
        case 'o':
            o->logdir = optarg;
            break;
        case 's':
            if (!parse_u64(optarg, 1 << 20, &v) || v < 64) {
                bad("-s wants a snap length from 64 to 1048576, not '%s'\n",
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->snaplen = (int)v;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_SEED:
            if (!parse_u64(optarg, UINT64_MAX, &v)) {
                bad("--seed wants a non-negative integer, not '%s'\n",
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->seeded = true;
            o->seed = v;
            break;
        case OPT_CID_SEED:
            if (!parse_u64(optarg, 65535, &v)) {
                bad("--community-id-seed wants 0-65535, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            o->community_id_seed = (uint16_t)v;
            break;
        case OPT_LOCAL_NETS:
            if (!site_add_nets(&o->site, optarg, err, sizeof(err))) {
                bad("--local-nets: %s\n", err);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_HASHES:
            if (!parse_hashes(optarg, o)) {
                bad("--hashes wants auto, all, none or a list of md5, "
                                "sha1, sha256, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_KEEP_DUPS:
            o->keep_duplicates = true;
            break;
        case OPT_ROTATE:
            if (!parse_u64(optarg, 366ull * 86400, &v) || v < 1) {
                bad("--rotate wants 1 to %llu seconds, not '%s'\n",
                        366ull * 86400, optarg);
                return OPT_USAGE_ERROR;
            }
            o->rotate_us = (int64_t)v * 1000000;
            break;
        case OPT_THREADS:
            if (!parse_u64(optarg, WORKERS_MAX, &v) || v < 1) {
                bad("--threads wants 1 to %d, not '%s'\n", WORKERS_MAX,
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->threads = (int)v;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_u64(optarg, 1u << 26, &v) || v < 16) {
                bad("--max-flows wants 16 to %u, not '%s'\n", 1u << 26,
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->max_flows = (uint32_t)v;
            break;
        case OPT_RULES:
            list_reset(o, LIST_RULES, &o->nrules, from_file);
            if (o->nrules == (int)ARRAY_LEN(o->rules)) {
                bad("too many --rules files (at most %zu)\n",
                        ARRAY_LEN(o->rules));
                return OPT_USAGE_ERROR;
            }
            o->rules[o->nrules++] = optarg;
            break;
        case OPT_NO_BUILTIN:
            o->no_builtin_rules = true;
            break;
        case OPT_LIST_RULES:
            o->list_rules = true;
            break;
        case OPT_MIN_SEV:
            o->min_severity = severity_parse(optarg);
            if (o->min_severity == SEV_NONE) {
                bad("--min-severity wants info, low, medium or high, "
                                "not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_EVE:
            o->eve = optarg;
            break;
        case OPT_GEOIP:
            list_reset(o, LIST_GEOIP, &o->ngeoip, from_file);
            if (o->ngeoip == (int)ARRAY_LEN(o->geoip)) {
                bad("too many --geoip-db files (at most %zu)\n",
                        ARRAY_LEN(o->geoip));
                return OPT_USAGE_ERROR;
            }
            o->geoip[o->ngeoip++] = optarg;
            break;
        case OPT_NO_GEOIP:
            o->no_geoip = true;
            break;
        case OPT_FOLLOW:
            o->follow = true;
            break;
        case OPT_HOST_WAIT:
            if (!parse_u64(optarg, 7 * 86400, &v)) {
                bad("--host-wait wants 0 to 604800 seconds, not '%s'\n",
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->host_wait_us = (int64_t)v * 1000000;
            break;
        case OPT_HOST_EVENTS:
            list_reset(o, LIST_HOST_EVENTS, &o->nhost_events, from_file);
            if (o->nhost_events == (int)ARRAY_LEN(o->host_events)) {
                bad("too many --host-events paths (at most %zu)\n",
                        ARRAY_LEN(o->host_events));
                return OPT_USAGE_ERROR;
            }
            o->host_events[o->nhost_events++] = optarg;
            break;
        case 'c':
            if (from_file) {
                bad("a configuration file cannot name another (config)\n");
                return OPT_USAGE_ERROR;
            }
            break; /* read before the command line (options_parse) */
        case 'u':
            o->user = optarg;
            break;
        case OPT_MONITOR:
            o->monitor = optarg;
            break;
        case OPT_TAG:
            if (!tag_ok(optarg)) {
                bad("--tag wants 1 to 64 printable characters without spaces, not '%s'\n",
                    optarg);
                return OPT_USAGE_ERROR;
            }
            o->tag = optarg;
            break;
        case OPT_STATS:
            if (!parse_u64(optarg, 86400, &v)) {
                bad("--stats-interval wants 0 (never) to 86400 seconds, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            o->stats_us = (int64_t)v * 1000000;
            break;
        case OPT_KAFKA:
            o->kafka = optarg;
            break;
        case OPT_KAFKA_PREFIX:
            o->kafka_prefix = optarg;
            break;
        case OPT_KAFKA_TIMEOUT:
            if (!parse_u64(optarg, 3600, &v)) {
                bad("--kafka-timeout wants 0 to 3600 seconds, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            o->kafka_timeout_s = (int)v;
            break;
        case OPT_CARVE:
            o->carve = optarg;
            break;
        case OPT_CARVE_SEV:
            o->carve_severity = severity_parse(optarg);
            if (o->carve_severity == SEV_NONE) {
                bad("--carve-severity wants info, low, medium or high, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_CARVE_MAX:
            if (!parse_size(optarg, 4096, 1ull << 30, &o->carve_max_bytes)) {
                bad("--carve-max-bytes wants 4096 to 1073741824 (K, M, G allowed), not "
                    "'%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_EXTRACT:
            o->extract = optarg;
            break;
        case OPT_EXTRACT_MAX:
            if (!parse_size(optarg, 1, 1ull << 40, &o->extract_max_size)) {
                bad("--extract-max-size wants 1 byte to 1 TiB (K, M, G allowed), not '%s'\n",
                    optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_EXTRACT_TOTAL:
            if (!parse_size(optarg, 1, 1ull << 50, &o->extract_total)) {
                bad("--extract-total wants a size (K, M, G, T allowed), not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'V':
            printf("lolwire %s\n", LOLWIRE_VERSION);
            return OPT_EXIT_OK;
        case 'h':
            usage(stdout);
            return OPT_EXIT_OK;
        case ':':
            bad("option '%s' needs a value (see --help)\n", argv[optind - 1]);
            return OPT_USAGE_ERROR;
        default:
            if (optopt)
                bad("unknown option '-%c' (see --help)\n", optopt);
            else
                bad("unknown option '%s' (see --help)\n", argv[optind - 1]);
            return OPT_USAGE_ERROR;
        }
    }
    return OPT_RUN;
}

/* ---- the configuration file (-c) ---------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static char *keep(struct options *o, const char *s)
{
    char **more = realloc(o->conf_strings, (size_t)(o->nconf_strings + 1) * sizeof(*more));
    char *copy = strdup(s);
    if (!more || !copy) {
        free(copy);
        if (more)
            o->conf_strings = more;
        return NULL;
    }
    o->conf_strings = more;
    o->conf_strings[o->nconf_strings++] = copy;
    return copy;
}

/* `key = value` lines, keys being the long options; flags take yes/no/true/false. */
static enum opt_result read_config(struct options *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "lolwire: cannot read configuration file '%s': %s\n", path,
                strerror(errno));
        return OPT_USAGE_ERROR;
    }
    char line[8192];
    int lineno = 0;
    enum opt_result res = OPT_RUN;
    while (res == OPT_RUN && fgets(line, sizeof(line), f)) {
        lineno++;
        snprintf(where, sizeof(where), "%s:%d: ", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            bad("line longer than %zu bytes\n", sizeof(line) - 2);
            res = OPT_USAGE_ERROR;
            break;
        }
        /* '#' starts a comment at the start of a line or after a blank */
        for (char *h = line; (h = strchr(h, '#')); h++)
            if (h == line || h[-1] == ' ' || h[-1] == '\t') {
                *h = '\0';
                break;
            }
        char *key = trim(line);
        if (!*key)
            continue;
        char *eq = strchr(key, '=');
        char *value = NULL;
        if (eq) {
            *eq = '\0';
            value = trim(eq + 1);
            key = trim(key);
        }
        if (strcmp(key, "filter") == 0) {
            free(o->filter);
            o->filter = value && *value ? strdup(value) : NULL;
            continue;
        }
        const struct option *lo = longopts;
        while (lo->name && strcmp(lo->name, key) != 0)
            lo++;
        if (!lo->name || strcmp(key, "help") == 0 || strcmp(key, "version") == 0) {
            bad("unknown key '%s'\n", key);
            res = OPT_USAGE_ERROR;
            break;
        }
        char opt[80];
        snprintf(opt, sizeof(opt), "--%s", key);
        char *args[3] = {(char *)"lolwire", opt, NULL};
        int nargs = 2;
        if (lo->has_arg == no_argument) {
            if (value && (!strcmp(value, "no") || !strcmp(value, "false")))
                continue;
            if (value && strcmp(value, "yes") != 0 && strcmp(value, "true") != 0) {
                bad("%s takes yes or no, not '%s'\n", key, value);
                res = OPT_USAGE_ERROR;
                break;
            }
        } else {
            if (!value || !*value) {
                bad("%s needs a value (%s = ...)\n", key, key);
                res = OPT_USAGE_ERROR;
                break;
            }
            args[nargs++] = keep(o, value);
            if (!args[nargs - 1]) {
                bad("out of memory\n");
                res = OPT_USAGE_ERROR;
                break;
            }
        }
        res = apply(o, nargs, args, true);
    }
    if (res == OPT_RUN && ferror(f)) {
        fprintf(stderr, "lolwire: cannot read configuration file '%s': %s\n", path,
                strerror(errno));
        res = OPT_USAGE_ERROR;
    }
    fclose(f);
    where[0] = '\0';
    return res;
}

/* -c FILE or --config FILE anywhere on the command line (read before the rest). */
static const char *config_path(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(a, "--config=", 9) == 0)
            path = a + 9;
        else if (strncmp(a, "-c", 2) == 0 && a[2])
            path = a + 2;
    }
    return path;
}

enum opt_result options_parse(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->logdir = "logs";
    o->snaplen = 262144;
    o->min_severity = SEV_LOW;
    o->host_wait_us = 300LL * 1000000;
    o->threads = 1;
    o->hash_payload = FILE_HASH_PAYLOAD_DEFAULT;
    o->hash_display = FILE_HASH_DISPLAY_DEFAULT;
    o->stats_us = 300LL * 1000000;
    o->kafka_prefix = "lolwire.";
    o->kafka_timeout_s = 10;
    o->carve_severity = SEV_MEDIUM;
    o->carve_max_bytes = 1 << 20;
    o->extract_max_size = 64ull << 20;
    o->extract_total = 1ull << 30;
    where[0] = '\0';
    const char *conf = config_path(argc, argv);
    enum opt_result res = conf ? read_config(o, conf) : OPT_RUN;
    if (res == OPT_RUN)
        res = apply(o, argc, argv, false);
    if (res != OPT_RUN)
        return res;
    if (o->iface && (o->nfiles || o->ndirs || o->monitor)) {
        bad("-i cannot be combined with -r, -R or --monitor\n");
        return OPT_USAGE_ERROR;
    }
    if (o->kafka && !*o->kafka) {
        bad("--kafka wants a broker list, host:port[,host:port...]\n");
        return OPT_USAGE_ERROR;
    }
    if (o->no_geoip && o->ngeoip) {
        bad("--no-geoip cannot be combined with --geoip-db\n");
        return OPT_USAGE_ERROR;
    }
    if (o->follow && !o->nhost_events) {
        bad("--follow needs --host-events FILE\n");
        return OPT_USAGE_ERROR;
    }
    for (int i = 0; o->follow && i < o->nhost_events; i++)
        if (strcmp(o->host_events[i], "-") == 0) {
            bad("--follow reads files; standard input is read as a "
                            "stream without it\n");
            return OPT_USAGE_ERROR;
        }
    if (o->list_rules)
        return OPT_RUN;
    if (!o->iface && !o->nfiles && !o->ndirs && !o->monitor && !o->nhost_events) {
        bad("nothing to read: give -r FILE, -R DIR, --monitor DIR or -i IFACE "
                        "(see --help)\n");
        return OPT_USAGE_ERROR;
    }
    /* The remaining arguments form the capture filter, as with tcpdump. */
    size_t len = 0;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (len) {
        free(o->filter); /* the command line's filter wins over the file's */
        o->filter = malloc(len);
        if (!o->filter)
            return OPT_USAGE_ERROR;
        o->filter[0] = '\0';
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                strcat(o->filter, " ");
            strcat(o->filter, argv[i]);
        }
    }
    return OPT_RUN;
}

void options_free(struct options *o)
{
    free(o->filter);
    o->filter = NULL;
    for (int i = 0; i < o->nconf_strings; i++)
        free(o->conf_strings[i]);
    free(o->conf_strings);
    o->conf_strings = NULL;
    o->nconf_strings = 0;
}
