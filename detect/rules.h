/* rules.h: lolwire's rule language (docs/rules.md): rules, named lists, allowlists.
 *
 * A rules file is line-oriented:
 *
 *   list dyndns domain          # named list: domain, exact, prefix, suffix, contains, cidr
 *       duckdns.org
 *   end
 *   rule LW-MSIEXEC-NONMSI      # a rule: metadata lines and `match` lines (all must hold;
 *       sid 9100102             #   one line may join conditions with `or`)
 *       note LOLBin::Msiexec_Download
 *       technique T1218.007
 *       severity high
 *       on http
 *       msg "msiexec fetched a package under a non-MSI name"
 *       match http.user_agent is "Windows Installer"
 *       match not http.ext in msi,msp,mst
 *   end
 *   allow host swdist.corp.example              # allowlist shorthands (host, sni, cidr,
 *   allow ua "Windows Installer" for LW-MSI-*   #   server, client, ua) and blocks
 *   disable LW-IE7-UA                           # switch a rule off
 *
 * The built-in rules are a file in this language (rules/builtin.rules), compiled into
 * the binary.  Every error names FILE:LINE.
 */
#ifndef LW_DETECT_RULES_H
#define LW_DETECT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/evidence.h"

enum severity { SEV_NONE = 0, SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH };

const char *severity_name(enum severity s);
/* "info", "low", "medium", "high"; SEV_NONE for anything else. */
enum severity severity_parse(const char *s);

struct rule_clause;

struct rule {
    char *id;                   /* LW-MSIEXEC-NONMSI */
    uint32_t sid, rev;          /* EVE signature_id and rev */
    char *note;                 /* Zeek note: LOLBin::Msiexec_Download */
    char *msg;
    char *techniques;           /* comma-joined ATT&CK ids */
    char *desc, *fp;            /* description, known false positives */
    char *refs;                 /* references, one per line */
    enum severity severity;
    unsigned kind;              /* EV_HTTP or EV_TLS */
    bool allow;                 /* an allowlist entry, not a detection */
    bool disabled;
    char **scope;               /* allow: rule ids, notes or id prefixes ending in '*' */
    size_t nscope;
    struct rule_clause *clauses; /* all must hold */
    size_t nclauses;
    int fields_used[16];        /* fields referenced (for the evidence text), -1 ended */
    char *file;
    int line;
};

struct ruleset;

struct ruleset *ruleset_new(void);
void ruleset_free(struct ruleset *rs);

/* Add the rules, lists and allowlists in `text` (named `name` in messages).  On error
 * returns false with "NAME:LINE: message" in `err`; the set is then unusable. */
bool ruleset_load_text(struct ruleset *rs, const char *name, const char *text, char *err,
                       size_t errlen);
bool ruleset_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen);
/* The built-in rules (rules/builtin.rules). */
bool ruleset_load_builtin(struct ruleset *rs, char *err, size_t errlen);
extern const char lw_builtin_rules[];

/* Resolve `disable` and `for` references once every file is loaded. */
bool ruleset_finish(struct ruleset *rs, char *err, size_t errlen);

size_t ruleset_count(const struct ruleset *rs);
const struct rule *ruleset_rule(const struct ruleset *rs, size_t i);

/* True when every clause of `r` holds for `ev`. */
bool rule_matches(const struct rule *r, struct evidence *ev);

/* True when the allowlist entry `a` covers detection rule `r`. */
bool rule_in_scope(const struct rule *a, const struct rule *r);

#endif
