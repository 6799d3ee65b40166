/* options.c: command-line parsing (getopt_long) with usage errors that say what to fix. */
#include "app/options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
            "  -r FILE                 read a pcap or pcapng file ('-' for stdin); repeatable\n"
            "  -R DIR                  read every capture under DIR, oldest first; repeatable\n"
            "  -i IFACE                capture live from IFACE (needs CAP_NET_RAW)\n"
            "\n"
            "Output:\n"
            "  -o DIR                  log directory, created if missing (default ./logs)\n"
            "  --json                  write JSON lines instead of Zeek TSV\n"
            "  --eve FILE              also write alerts as Suricata EVE JSON lines (appends)\n"
            "  --rotate SECONDS        rotate the logs every SECONDS (packet time when reading\n"
            "                          files): conn.START_END.log; SIGHUP reopens every log\n"
            "                          and the EVE file (for logrotate)\n"
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
            "  -s SNAPLEN              live capture snap length (default 262144)\n"
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
    OPT_KEEP_DUPS, OPT_HASHES, OPT_THREADS, OPT_ROTATE
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

enum opt_result options_parse(struct options *o, int argc, char **argv)
{
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
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->logdir = "logs";
    o->snaplen = 262144;
    o->min_severity = SEV_LOW;
    o->host_wait_us = 300LL * 1000000;
    o->threads = 1;
    o->hash_payload = FILE_HASH_PAYLOAD_DEFAULT;
    o->hash_display = FILE_HASH_DISPLAY_DEFAULT;
    opterr = 0;
    optind = 1;
    int c;
    uint64_t v;
    char err[256];
    while ((c = getopt_long(argc, argv, "+r:R:i:o:s:qvVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (o->nfiles == OPT_MAX_FILES) {
                fprintf(stderr, "lolwire: too many -r files (at most %d); use -R DIR\n",
                        OPT_MAX_FILES);
                return OPT_USAGE_ERROR;
            }
            o->files[o->nfiles++] = optarg;
            break;
        case 'R':
            if (o->ndirs == 64) {
                fprintf(stderr, "lolwire: too many -R directories (at most 64)\n");
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
                fprintf(stderr, "lolwire: -s wants a snap length from 64 to 1048576, not '%s'\n",
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
                fprintf(stderr, "lolwire: --seed wants a non-negative integer, not '%s'\n",
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->seeded = true;
            o->seed = v;
            break;
        case OPT_CID_SEED:
            if (!parse_u64(optarg, 65535, &v)) {
                fprintf(stderr, "lolwire: --community-id-seed wants 0-65535, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            o->community_id_seed = (uint16_t)v;
            break;
        case OPT_LOCAL_NETS:
            if (!site_add_nets(&o->site, optarg, err, sizeof(err))) {
                fprintf(stderr, "lolwire: --local-nets: %s\n", err);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_HASHES:
            if (!parse_hashes(optarg, o)) {
                fprintf(stderr, "lolwire: --hashes wants auto, all, none or a list of md5, "
                                "sha1, sha256, not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_KEEP_DUPS:
            o->keep_duplicates = true;
            break;
        case OPT_ROTATE:
            if (!parse_u64(optarg, 366ull * 86400, &v) || v < 1) {
                fprintf(stderr, "lolwire: --rotate wants 1 to %llu seconds, not '%s'\n",
                        366ull * 86400, optarg);
                return OPT_USAGE_ERROR;
            }
            o->rotate_us = (int64_t)v * 1000000;
            break;
        case OPT_THREADS:
            if (!parse_u64(optarg, WORKERS_MAX, &v) || v < 1) {
                fprintf(stderr, "lolwire: --threads wants 1 to %d, not '%s'\n", WORKERS_MAX,
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->threads = (int)v;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_u64(optarg, 1u << 26, &v) || v < 16) {
                fprintf(stderr, "lolwire: --max-flows wants 16 to %u, not '%s'\n", 1u << 26,
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->max_flows = (uint32_t)v;
            break;
        case OPT_RULES:
            if (o->nrules == (int)ARRAY_LEN(o->rules)) {
                fprintf(stderr, "lolwire: too many --rules files (at most %zu)\n",
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
                fprintf(stderr, "lolwire: --min-severity wants info, low, medium or high, "
                                "not '%s'\n", optarg);
                return OPT_USAGE_ERROR;
            }
            break;
        case OPT_EVE:
            o->eve = optarg;
            break;
        case OPT_GEOIP:
            if (o->ngeoip == (int)ARRAY_LEN(o->geoip)) {
                fprintf(stderr, "lolwire: too many --geoip-db files (at most %zu)\n",
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
                fprintf(stderr, "lolwire: --host-wait wants 0 to 604800 seconds, not '%s'\n",
                        optarg);
                return OPT_USAGE_ERROR;
            }
            o->host_wait_us = (int64_t)v * 1000000;
            break;
        case OPT_HOST_EVENTS:
            if (o->nhost_events == (int)ARRAY_LEN(o->host_events)) {
                fprintf(stderr, "lolwire: too many --host-events paths (at most %zu)\n",
                        ARRAY_LEN(o->host_events));
                return OPT_USAGE_ERROR;
            }
            o->host_events[o->nhost_events++] = optarg;
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
            fprintf(stderr, "lolwire: option '%s' needs a value (see --help)\n", argv[optind - 1]);
            return OPT_USAGE_ERROR;
        default:
            if (optopt)
                fprintf(stderr, "lolwire: unknown option '-%c' (see --help)\n", optopt);
            else
                fprintf(stderr, "lolwire: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return OPT_USAGE_ERROR;
        }
    }
    if (o->iface && (o->nfiles || o->ndirs)) {
        fprintf(stderr, "lolwire: -i cannot be combined with -r or -R\n");
        return OPT_USAGE_ERROR;
    }
    if (o->no_geoip && o->ngeoip) {
        fprintf(stderr, "lolwire: --no-geoip cannot be combined with --geoip-db\n");
        return OPT_USAGE_ERROR;
    }
    if (o->follow && !o->nhost_events) {
        fprintf(stderr, "lolwire: --follow needs --host-events FILE\n");
        return OPT_USAGE_ERROR;
    }
    for (int i = 0; o->follow && i < o->nhost_events; i++)
        if (strcmp(o->host_events[i], "-") == 0) {
            fprintf(stderr, "lolwire: --follow reads files; standard input is read as a "
                            "stream without it\n");
            return OPT_USAGE_ERROR;
        }
    if (o->list_rules)
        return OPT_RUN;
    if (!o->iface && !o->nfiles && !o->ndirs && !o->nhost_events) {
        fprintf(stderr, "lolwire: nothing to read: give -r FILE, -R DIR or -i IFACE "
                        "(see --help)\n");
        return OPT_USAGE_ERROR;
    }
    /* The remaining arguments form the capture filter, as with tcpdump. */
    size_t len = 0;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (len) {
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
}
