/* options.h: lolwire's command line. */
#ifndef LW_APP_OPTIONS_H
#define LW_APP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "detect/site.h"

#define OPT_MAX_FILES 1024

struct options {
    const char *files[OPT_MAX_FILES]; /* -r, in order */
    int nfiles;
    const char *dirs[64];             /* -R */
    int ndirs;
    const char *iface;                /* -i */
    const char *monitor;              /* --monitor DIR */
    const char *logdir;               /* -o */
    const char *user;                 /* -u: drop to this user once the sources are open */
    const char *tag;                  /* --tag: a _tag column in every log */
    char *filter;                     /* trailing arguments, joined */
    bool json;
    bool seeded;
    uint64_t seed;
    uint16_t community_id_seed;
    uint32_t max_flows;
    int64_t rotate_us;                /* --rotate: log rotation interval, 0 = none */
    int64_t stats_us;                 /* --stats-interval, 0 = never */
    const char *kafka;                /* --kafka BROKERS */
    const char *kafka_prefix;         /* --kafka-topic-prefix */
    int kafka_timeout_s;              /* --kafka-timeout */
    const char *carve;                /* --carve DIR */
    int carve_severity;               /* enum severity */
    uint64_t carve_max_bytes;         /* packet bytes held per connection */
    const char *extract;              /* --extract DIR */
    uint64_t extract_max_size, extract_total;
    int threads;                      /* --threads: worker threads (1: one thread reads
                                       * and decodes) */
    bool keep_duplicates;
    unsigned hash_payload, hash_display; /* --hashes: bits 1 MD5, 2 SHA-1, 4 SHA-256 */
    int snaplen;
    bool quiet, verbose;
    struct site site;
    /* detection */
    const char *rules[32];            /* --rules, in order */
    int nrules;
    bool no_builtin_rules;
    bool list_rules;                  /* --list-rules: print the rule set and exit */
    int min_severity;                 /* enum severity */
    const char *eve;                  /* --eve FILE */
    const char *geoip[8];             /* --geoip-db */
    int ngeoip;
    bool no_geoip;
    const char *host_events[64];      /* --host-events */
    int nhost_events;
    bool follow;                      /* --follow: keep reading growing host event files */
    int64_t host_wait_us;             /* --host-wait */
    /* -c: the configuration file's strings (options point into them) */
    char **conf_strings;
    int nconf_strings;
    unsigned lists_from_file;         /* repeatable options the file set (bits) */
};

enum opt_result { OPT_RUN, OPT_EXIT_OK, OPT_USAGE_ERROR };

/* Parse argv into `o`, after the configuration file if -c names one (the command line
 * wins: a single value overrides the file's, a repeatable option replaces its list).
 * Messages for errors go to stderr; --help and --version print and return OPT_EXIT_OK. */
enum opt_result options_parse(struct options *o, int argc, char **argv);
void options_free(struct options *o);

#endif
