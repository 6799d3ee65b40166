/* rules.c: the rule language: tokenizer, compiler, matcher (see rules.h, docs/rules.md). */
#include "detect/rules.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/addr.h"
#include "core/util.h"

#define RULES_MAX_TOKENS 256
#define RULES_MAX_FILE_BYTES (16u << 20)

enum list_kind { LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_DOMAIN, LK_CIDR, LK_NUMBER };

struct rlist {
    char *name;                 /* NULL for an inline list */
    enum list_kind kind;
    size_t n, cap;
    char **items;
    size_t *lens;
    struct lw_prefix *pfx;
    int64_t *nums;
};

enum op { OP_TRUE, OP_EXISTS, OP_IS, OP_PREFIX, OP_SUFFIX, OP_CONTAINS, OP_DOMAIN, OP_MATCHES,
          OP_IN, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct cond {
    int field;
    enum op op;
    bool neg;
    char *str;
    size_t slen;
    regex_t *re;
    int64_t num;
    struct lw_prefix pfx;
    bool boolval;
    struct rlist *list;
    bool own_list;
};

struct rule_clause {
    struct cond *conds;         /* any may hold */
    size_t n;
};

struct pending {                /* `disable ID` lines, resolved by ruleset_finish */
    char *id;
    char *file;
    int line;
};

struct ruleset {
    struct rule **rules;
    size_t n, cap;
    struct rlist **lists;
    size_t nlists, listcap;
    struct pending *disables;
    size_t ndisables, discap;
    unsigned anon;              /* counter for allowlist names */
};

const char *severity_name(enum severity s)
{
    static const char *const names[] = {"none", "info", "low", "medium", "high"};
    return s <= SEV_HIGH ? names[s] : "none";
}

enum severity severity_parse(const char *s)
{
    for (int i = SEV_INFO; i <= SEV_HIGH; i++)
        if (strcasecmp(s, severity_name((enum severity)i)) == 0)
            return (enum severity)i;
    return SEV_NONE;
}

/* ---- growing arrays ---------------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * size);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

/* ---- lists -------------------------------------------------------------------------- */

static void list_free(struct rlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l->lens);
    free(l->pfx);
    free(l->nums);
    free(l->name);
    free(l);
}

/* Add `s` to the list (already validated for its kind); false when out of memory. */
static bool list_add(struct rlist *l, const char *s, const struct lw_prefix *p, int64_t num)
{
    size_t cap = l->cap;
    if (l->n == l->cap) {
        size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
        if (!grow((void **)&l->items, &c1, l->n + 1, sizeof(*l->items)) ||
            !grow((void **)&l->lens, &c2, l->n + 1, sizeof(*l->lens)) ||
            !grow((void **)&l->pfx, &c3, l->n + 1, sizeof(*l->pfx)) ||
            !grow((void **)&l->nums, &c4, l->n + 1, sizeof(*l->nums)))
            return false;
        l->cap = c1;
    }
    const char *v = s;
    if (l->kind == LK_DOMAIN) {
        if (strncmp(v, "*.", 2) == 0)
            v += 2;
        else if (*v == '.')
            v++;
    }
    l->items[l->n] = strdup(v);
    if (!l->items[l->n])
        return false;
    l->lens[l->n] = strlen(v);
    if (p)
        l->pfx[l->n] = *p;
    l->nums[l->n] = num;
    l->n++;
    return true;
}

static struct rlist *find_list(const struct ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->nlists; i++)
        if (strcmp(rs->lists[i]->name, name) == 0)
            return rs->lists[i];
    return NULL;
}

static const char *const list_kind_names[] = {"exact", "prefix", "suffix", "contains",
                                              "domain", "cidr", "number"};

/* ---- string matching (ASCII case-insensitive) --------------------------------------- */

static bool ci_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && strncasecmp(a, b, an) == 0;
}

static bool ci_prefix(const char *a, size_t an, const char *p, size_t pn)
{
    return an >= pn && strncasecmp(a, p, pn) == 0;
}

static bool ci_suffix(const char *a, size_t an, const char *p, size_t pn)
{
    return an >= pn && strncasecmp(a + an - pn, p, pn) == 0;
}

static bool ci_contains(const char *a, size_t an, const char *p, size_t pn)
{
    if (pn == 0)
        return true;
    for (size_t i = 0; i + pn <= an; i++)
        if (strncasecmp(a + i, p, pn) == 0)
            return true;
    return false;
}

/* `a` is domain `d` or a subdomain of it. */
static bool in_domain(const char *a, size_t an, const char *d, size_t dn)
{
    while (an && a[an - 1] == '.')
        an--;
    if (!ci_suffix(a, an, d, dn))
        return false;
    return an == dn || a[an - dn - 1] == '.';
}

static bool str_in_list(const struct rlist *l, const char *s, size_t n)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *it = l->items[i];
        size_t k = l->lens[i];
        bool m = false;
        switch (l->kind) {
        case LK_EXACT: m = ci_eq(s, n, it, k); break;
        case LK_PREFIX: m = ci_prefix(s, n, it, k); break;
        case LK_SUFFIX: m = ci_suffix(s, n, it, k); break;
        case LK_CONTAINS: m = ci_contains(s, n, it, k); break;
        case LK_DOMAIN: m = in_domain(s, n, it, k); break;
        default: break;
        }
        if (m)
            return true;
    }
    return false;
}

/* ---- matching ----------------------------------------------------------------------- */

static bool str_op(const struct cond *c, const char *s, size_t n)
{
    switch (c->op) {
    case OP_IS: return ci_eq(s, n, c->str, c->slen);
    case OP_PREFIX: return ci_prefix(s, n, c->str, c->slen);
    case OP_SUFFIX: return ci_suffix(s, n, c->str, c->slen);
    case OP_CONTAINS: return ci_contains(s, n, c->str, c->slen);
    case OP_DOMAIN: return in_domain(s, n, c->str, c->slen);
    case OP_IN: return str_in_list(c->list, s, n);
    case OP_MATCHES: {
        /* regexec wants a NUL-terminated string; set items are not. */
        char buf[1024];
        if (s[n] == '\0')
            return regexec(c->re, s, 0, NULL, 0) == 0;
        size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
        memcpy(buf, s, k);
        buf[k] = '\0';
        return regexec(c->re, buf, 0, NULL, 0) == 0;
    }
    default: return false;
    }
}

static bool num_op(const struct cond *c, int64_t v)
{
    switch (c->op) {
    case OP_IS:
    case OP_EQ: return v == c->num;
    case OP_NE: return v != c->num;
    case OP_LT: return v < c->num;
    case OP_LE: return v <= c->num;
    case OP_GT: return v > c->num;
    case OP_GE: return v >= c->num;
    case OP_IN:
        for (size_t i = 0; i < c->list->n; i++)
            if (c->list->nums[i] == v)
                return true;
        return false;
    default: return false;
    }
}

static bool cond_holds(const struct cond *c, struct evidence *ev)
{
    const struct ev_val *v = evidence_get(ev, c->field);
    bool r = false;
    if (c->op == OP_EXISTS) {
        r = v->present && (ev_field((size_t)c->field)->type != EVT_SET || v->nitems > 0);
    } else if (v->present) {
        switch (ev_field((size_t)c->field)->type) {
        case EVT_STR: r = str_op(c, v->s, strlen(v->s)); break;
        case EVT_SET:
            for (size_t i = 0; i < v->nitems && !r; i++)
                r = str_op(c, v->items[i], v->item_len[i]);
            break;
        case EVT_NUM: r = num_op(c, v->num); break;
        case EVT_BOOL: r = c->op == OP_TRUE ? v->b : v->b == c->boolval; break;
        case EVT_ADDR:
            if (c->op == OP_IS) {
                r = prefix_contains(&c->pfx, v->addr);
            } else if (c->op == OP_IN) {
                for (size_t i = 0; i < c->list->n && !r; i++)
                    r = prefix_contains(&c->list->pfx[i], v->addr);
            }
            break;
        }
    }
    return c->neg ? !r : r;
}

bool rule_matches(const struct rule *r, struct evidence *ev)
{
    if (!(r->kind & ev->kind))
        return false;
    for (size_t i = 0; i < r->nclauses; i++) {
        const struct rule_clause *cl = &r->clauses[i];
        bool any = false;
        for (size_t j = 0; j < cl->n && !any; j++)
            any = cond_holds(&cl->conds[j], ev);
        if (!any)
            return false;
    }
    return true;
}

bool rule_in_scope(const struct rule *a, const struct rule *r)
{
    if (a->nscope == 0)
        return true;
    for (size_t i = 0; i < a->nscope; i++) {
        const char *s = a->scope[i];
        size_t n = strlen(s);
        if (n && s[n - 1] == '*') {
            if (strncmp(r->id, s, n - 1) == 0 || strncmp(r->note, s, n - 1) == 0)
                return true;
        } else if (strcmp(r->id, s) == 0 || strcmp(r->note, s) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- tokenizer ---------------------------------------------------------------------- */

struct tok {
    char *s;
    bool quoted;
};

struct parser {
    struct ruleset *rs;
    const char *name;
    int line;
    char *err;
    size_t errlen;
    bool failed;
    struct tok toks[RULES_MAX_TOKENS];
    size_t ntoks;
    char buf[8192];             /* the current line, tokens point into it */
};

static bool fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    int k = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
    if (k < 0 || (size_t)k >= p->errlen)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return false;
}

/* Split the line in p->buf into tokens: white space and commas separate, "..." quotes
 * (with \" and \\), # starts a comment outside quotes. */
static bool tokenize(struct parser *p)
{
    p->ntoks = 0;
    char *r = p->buf, *w;
    while (*r) {
        while (*r == ' ' || *r == '\t' || *r == ',' || *r == '\r')
            r++;
        if (!*r || *r == '#')
            break;
        if (p->ntoks == RULES_MAX_TOKENS)
            return fail(p, "too many words on one line (at most %d)", RULES_MAX_TOKENS);
        struct tok *t = &p->toks[p->ntoks++];
        if (*r == '"') {
            t->quoted = true;
            t->s = w = ++r;
            while (*r && *r != '"') {
                if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
                    r++;
                *w++ = *r++;
            }
            if (*r != '"')
                return fail(p, "unterminated quoted string");
            r++;
            if (*r && *r != ' ' && *r != '\t' && *r != ',' && *r != '\r' && *r != '#')
                return fail(p, "a quoted string must be followed by a space or a comma");
            *w = '\0';
        } else {
            t->quoted = false;
            t->s = r;
            while (*r && *r != ' ' && *r != '\t' && *r != ',' && *r != '\r' && *r != '"')
                r++;
            if (*r == '"')
                return fail(p, "stray quote in '%.*s\"'", (int)(r - t->s), t->s);
            if (*r)
                *r++ = '\0';
            /* a '#' right after a word starts a comment too */
            char *hash = strchr(t->s, '#');
            if (hash) {
                *hash = '\0';
                if (!*t->s)
                    p->ntoks--;
                break;
            }
        }
    }
    return true;
}

static bool is_kw(const struct tok *t, const char *kw)
{
    return !t->quoted && strcmp(t->s, kw) == 0;
}

/* ---- compiling conditions ------------------------------------------------------------ */

static void cond_free(struct cond *c)
{
    free(c->str);
    if (c->re) {
        regfree(c->re);
        free(c->re);
    }
    if (c->own_list)
        list_free(c->list);
}

static const struct {
    const char *name;
    enum op op;
} op_names[] = {
    {"exists", OP_EXISTS}, {"is", OP_IS},       {"prefix", OP_PREFIX}, {"suffix", OP_SUFFIX},
    {"contains", OP_CONTAINS}, {"domain", OP_DOMAIN}, {"matches", OP_MATCHES}, {"in", OP_IN},
    {"has", OP_IN},        {"=", OP_EQ},        {"==", OP_EQ},         {"!=", OP_NE},
    {"<", OP_LT},          {"<=", OP_LE},       {">", OP_GT},          {">=", OP_GE},
};

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno)
        return false;
    *out = v;
    return true;
}

/* Values of an `in` list: @name or inline items (compiled for the field's type). */
static bool compile_list(struct parser *p, struct cond *c, enum ev_type type,
                         struct tok *v, size_t nv)
{
    if (nv == 0)
        return fail(p, "'in' needs values (a,b,c) or a list (@name)");
    if (nv == 1 && !v[0].quoted && v[0].s[0] == '@') {
        struct rlist *l = find_list(p->rs, v[0].s + 1);
        if (!l)
            return fail(p, "no list named '%s' (lists must be defined before use)", v[0].s + 1);
        bool ok = type == EVT_ADDR   ? l->kind == LK_CIDR
                  : type == EVT_NUM ? l->kind == LK_NUMBER
                                    : l->kind != LK_CIDR && l->kind != LK_NUMBER;
        if (!ok)
            return fail(p, "list '%s' holds %s values, which do not fit field %s", l->name,
                        list_kind_names[l->kind], ev_field((size_t)c->field)->name);
        c->list = l;
        return true;
    }
    struct rlist *l = calloc(1, sizeof(*l));
    if (!l)
        return fail(p, "out of memory");
    l->kind = type == EVT_ADDR ? LK_CIDR : type == EVT_NUM ? LK_NUMBER : LK_EXACT;
    c->list = l;
    c->own_list = true;
    for (size_t i = 0; i < nv; i++) {
        struct lw_prefix pf;
        int64_t num = 0;
        if (!v[i].quoted && v[i].s[0] == '@')
            return fail(p, "a list (@name) cannot be mixed with other values");
        if (l->kind == LK_CIDR && !prefix_parse(v[i].s, &pf))
            return fail(p, "'%s' is not an address or CIDR prefix", v[i].s);
        if (l->kind == LK_NUMBER && !parse_i64(v[i].s, &num))
            return fail(p, "'%s' is not a number", v[i].s);
        if (!list_add(l, v[i].s, l->kind == LK_CIDR ? &pf : NULL, num))
            return fail(p, "out of memory");
    }
    return true;
}

/* One condition from toks[*i..end): [not] FIELD [OP VALUE...].  `kinds` narrows to the
 * events the field exists for. */
static bool compile_cond(struct parser *p, struct cond *c, size_t *i, size_t end,
                         unsigned *kinds)
{
    struct tok *t = p->toks;
    memset(c, 0, sizeof(*c));
    if (*i < end && is_kw(&t[*i], "not")) {
        c->neg = true;
        (*i)++;
    }
    if (*i >= end)
        return fail(p, "expected a field name");
    c->field = ev_field_find(t[*i].s);
    if (c->field < 0 || t[*i].quoted)
        return fail(p, "unknown field '%s' (see docs/rules.md for the list)", t[*i].s);
    const struct ev_field *fd = ev_field((size_t)c->field);
    *kinds &= fd->kinds;
    (*i)++;
    if (*i >= end) {
        if (fd->type != EVT_BOOL)
            return fail(p, "field %s needs an operator (is, in, contains, ...)", fd->name);
        c->op = OP_TRUE;
        return true;
    }
    const char *opn = t[*i].s;
    bool found = false;
    for (size_t k = 0; k < ARRAY_LEN(op_names) && !t[*i].quoted; k++)
        if (strcmp(op_names[k].name, opn) == 0) {
            c->op = op_names[k].op;
            found = true;
        }
    if (!found)
        return fail(p, "unknown operator '%s' after %s", opn, fd->name);
    (*i)++;
    struct tok *v = &t[*i];
    size_t nv = end - *i;
    *i = end;
    if (c->op == OP_EXISTS) {
        if (nv)
            return fail(p, "'exists' takes no value");
        return true;
    }
    if (c->op == OP_IN)
        return compile_list(p, c, fd->type, v, nv);
    if (nv != 1)
        return fail(p, "operator '%s' takes one value (quote values with spaces or commas)",
                    opn);
    switch (fd->type) {
    case EVT_BOOL:
        if (c->op != OP_IS || (strcmp(v->s, "true") != 0 && strcmp(v->s, "false") != 0))
            return fail(p, "%s is true or false: write '%s', 'not %s' or '%s is false'",
                        fd->name, fd->name, fd->name, fd->name);
        c->boolval = strcmp(v->s, "true") == 0;
        return true;
    case EVT_NUM:
        if (c->op != OP_IS && (c->op < OP_EQ || c->op > OP_GE))
            return fail(p, "%s is a number: use is, =, !=, <, <=, >, >= or in", fd->name);
        if (!parse_i64(v->s, &c->num))
            return fail(p, "'%s' is not a number", v->s);
        return true;
    case EVT_ADDR:
        if (c->op != OP_IS)
            return fail(p, "%s is an address: use 'is ADDR' or 'in CIDR,...'", fd->name);
        if (!prefix_parse(v->s, &c->pfx))
            return fail(p, "'%s' is not an address or CIDR prefix", v->s);
        return true;
    case EVT_STR:
    case EVT_SET:
        if (c->op >= OP_EQ)
            return fail(p, "%s is text: use is, prefix, suffix, contains, domain, matches or in",
                        fd->name);
        if (c->op == OP_MATCHES) {
            c->re = malloc(sizeof(*c->re));
            if (!c->re)
                return fail(p, "out of memory");
            int rc = regcomp(c->re, v->s, REG_EXTENDED | REG_ICASE | REG_NOSUB);
            if (rc) {
                char m[256];
                regerror(rc, c->re, m, sizeof(m));
                free(c->re);
                c->re = NULL;
                return fail(p, "bad regular expression '%s': %s", v->s, m);
            }
            return true;
        }
        c->str = strdup(v->s);
        if (!c->str)
            return fail(p, "out of memory");
        c->slen = strlen(c->str);
        if (c->op == OP_DOMAIN) {
            char *d = c->str;
            size_t skip = strncmp(d, "*.", 2) == 0 ? 2 : d[0] == '.' ? 1 : 0;
            memmove(d, d + skip, c->slen - skip + 1);
            c->slen -= skip;
        }
        return true;
    }
    return fail(p, "internal: field type");
}

static void note_field(struct rule *r, int field)
{
    for (size_t i = 0; i < ARRAY_LEN(r->fields_used); i++) {
        if (r->fields_used[i] == field)
            return;
        if (r->fields_used[i] < 0) {
            r->fields_used[i] = field;
            if (i + 1 < ARRAY_LEN(r->fields_used))
                r->fields_used[i + 1] = -1;
            return;
        }
    }
}

/* A `match` line (tokens from `from`): conditions joined by `or`. */
static bool compile_match(struct parser *p, struct rule *r, size_t from)
{
    if (from >= p->ntoks)
        return fail(p, "'match' needs a condition");
    size_t nc = r->nclauses, cap = nc;
    if (!grow((void **)&r->clauses, &cap, nc + 1, sizeof(*r->clauses)))
        return fail(p, "out of memory");
    struct rule_clause *cl = &r->clauses[nc];
    memset(cl, 0, sizeof(*cl));
    r->nclauses++;
    unsigned kinds_all = 0;
    size_t i = from;
    while (i < p->ntoks) {
        size_t end = i;
        while (end < p->ntoks && !is_kw(&p->toks[end], "or"))
            end++;
        if (end == i)
            return fail(p, "empty condition around 'or'");
        size_t cc = cl->n;
        if (!grow((void **)&cl->conds, &cc, cl->n + 1, sizeof(*cl->conds)))
            return fail(p, "out of memory");
        unsigned kinds = EV_HTTP | EV_TLS;
        if (!compile_cond(p, &cl->conds[cl->n], &i, end, &kinds)) {
            cond_free(&cl->conds[cl->n]);
            return false;
        }
        note_field(r, cl->conds[cl->n].field);
        cl->n++;
        kinds_all |= kinds;
        if (i < p->ntoks) {
            i++; /* "or" */
            if (i == p->ntoks)
                return fail(p, "'or' at the end of the line");
        }
    }
    /* Every alternative must be able to apply to the rule's events. */
    for (size_t k = 0; k < cl->n; k++) {
        const struct ev_field *fd = ev_field((size_t)cl->conds[k].field);
        if (!r->allow && (fd->kinds & r->kind) != r->kind)
            return fail(p, "field %s does not exist in %s events", fd->name,
                        (fd->kinds & EV_HTTP) ? "tls" : "http");
    }
    if (r->allow)
        r->kind &= kinds_all;
    return true;
}

/* ---- rules -------------------------------------------------------------------------- */

static void rule_free(struct rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nclauses; i++) {
        for (size_t j = 0; j < r->clauses[i].n; j++)
            cond_free(&r->clauses[i].conds[j]);
        free(r->clauses[i].conds);
    }
    free(r->clauses);
    for (size_t i = 0; i < r->nscope; i++)
        free(r->scope[i]);
    free(r->scope);
    free(r->id);
    free(r->note);
    free(r->msg);
    free(r->techniques);
    free(r->desc);
    free(r->fp);
    free(r->refs);
    free(r->file);
    free(r);
}

static struct rule *find_rule(const struct ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i]->id, id) == 0)
            return rs->rules[i];
    return NULL;
}

static bool valid_id(const char *s)
{
    if (!*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.' && *s != ':')
            return false;
    return true;
}

static bool valid_technique(const char *s)
{
    /* T1234 or T1234.001 */
    if (s[0] != 'T' || strlen(s) < 5)
        return false;
    for (int i = 1; i < 5; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    if (s[5] == '\0')
        return true;
    return s[5] == '.' && isdigit((unsigned char)s[6]) && isdigit((unsigned char)s[7]) &&
           isdigit((unsigned char)s[8]) && s[9] == '\0';
}

/* Join tokens [from, ntoks) with `sep`. */
static char *join(struct parser *p, size_t from, const char *sep)
{
    size_t len = 1;
    for (size_t i = from; i < p->ntoks; i++)
        len += strlen(p->toks[i].s) + strlen(sep);
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = from; i < p->ntoks; i++) {
        if (i > from)
            strcat(s, sep);
        strcat(s, p->toks[i].s);
    }
    return s;
}

static bool one_value(struct parser *p, const char *key)
{
    if (p->ntoks != 2)
        return fail(p, "'%s' takes one value (quote text with spaces)", key);
    return true;
}

static bool set_text(struct parser *p, char **dst, const char *key, bool append)
{
    if (!one_value(p, key))
        return false;
    if (*dst && !append)
        return fail(p, "'%s' given twice", key);
    if (*dst) {
        size_t a = strlen(*dst), b = strlen(p->toks[1].s);
        char *n = realloc(*dst, a + b + 2);
        if (!n)
            return fail(p, "out of memory");
        n[a] = '\n';
        memcpy(n + a + 1, p->toks[1].s, b + 1);
        *dst = n;
        return true;
    }
    *dst = strdup(p->toks[1].s);
    return *dst ? true : fail(p, "out of memory");
}

static bool add_scope(struct parser *p, struct rule *r, size_t from)
{
    if (from >= p->ntoks)
        return fail(p, "'for' needs rule ids, notes or ID-prefix* patterns");
    for (size_t i = from; i < p->ntoks; i++) {
        size_t cap = r->nscope;
        if (!grow((void **)&r->scope, &cap, r->nscope + 1, sizeof(*r->scope)) ||
            !(r->scope[r->nscope] = strdup(p->toks[i].s)))
            return fail(p, "out of memory");
        r->nscope++;
    }
    return true;
}

/* One line inside `rule ... end` or `allow NAME ... end`. */
static bool rule_line(struct parser *p, struct rule *r)
{
    const char *key = p->toks[0].s;
    if (strcmp(key, "match") == 0)
        return compile_match(p, r, 1);
    if (r->allow) {
        if (strcmp(key, "for") == 0)
            return add_scope(p, r, 1);
        return fail(p, "unknown keyword '%s' in an allow block (match, for, end)", key);
    }
    if (strcmp(key, "sid") == 0 || strcmp(key, "rev") == 0) {
        int64_t v;
        if (!one_value(p, key))
            return false;
        if (!parse_i64(p->toks[1].s, &v) || v < 1 || v > 0xffffffffLL)
            return fail(p, "%s wants a number from 1 to 4294967295, not '%s'", key, p->toks[1].s);
        if (key[0] == 's')
            r->sid = (uint32_t)v;
        else
            r->rev = (uint32_t)v;
        return true;
    }
    if (strcmp(key, "note") == 0) {
        if (!set_text(p, &r->note, key, false))
            return false;
        if (!strstr(r->note, "::") || strchr(r->note, ' '))
            return fail(p, "a note is Module::Name (e.g. LOLBin::Msiexec_Download), not '%s'",
                        r->note);
        return true;
    }
    if (strcmp(key, "msg") == 0)
        return set_text(p, &r->msg, key, false);
    if (strcmp(key, "desc") == 0)
        return set_text(p, &r->desc, key, true);
    if (strcmp(key, "fp") == 0)
        return set_text(p, &r->fp, key, true);
    if (strcmp(key, "ref") == 0)
        return set_text(p, &r->refs, key, true);
    if (strcmp(key, "technique") == 0 || strcmp(key, "techniques") == 0) {
        if (p->ntoks < 2)
            return fail(p, "'technique' needs ATT&CK ids (T1218.007)");
        for (size_t i = 1; i < p->ntoks; i++)
            if (!valid_technique(p->toks[i].s))
                return fail(p, "'%s' is not an ATT&CK technique id (T1234 or T1234.001)",
                            p->toks[i].s);
        if (r->techniques)
            return fail(p, "'technique' given twice");
        r->techniques = join(p, 1, ",");
        return r->techniques ? true : fail(p, "out of memory");
    }
    if (strcmp(key, "severity") == 0) {
        if (!one_value(p, key))
            return false;
        r->severity = severity_parse(p->toks[1].s);
        if (r->severity == SEV_NONE)
            return fail(p, "severity is info, low, medium or high, not '%s'", p->toks[1].s);
        return true;
    }
    if (strcmp(key, "on") == 0) {
        if (p->ntoks < 2)
            return fail(p, "'on' wants http, tls or both");
        if (r->nclauses)
            return fail(p, "'on' must come before the first 'match'");
        r->kind = 0;
        for (size_t i = 1; i < p->ntoks; i++) {
            if (strcmp(p->toks[i].s, "http") == 0)
                r->kind |= EV_HTTP;
            else if (strcmp(p->toks[i].s, "tls") == 0)
                r->kind |= EV_TLS;
            else
                return fail(p, "'on' wants http, tls or both, not '%s'", p->toks[i].s);
        }
        return true;
    }
    if (strcmp(key, "enabled") == 0) {
        if (!one_value(p, key))
            return false;
        if (strcmp(p->toks[1].s, "no") != 0 && strcmp(p->toks[1].s, "yes") != 0)
            return fail(p, "enabled is yes or no");
        r->disabled = strcmp(p->toks[1].s, "no") == 0;
        return true;
    }
    return fail(p, "unknown keyword '%s' in rule %s (sid, rev, note, msg, technique, "
                   "severity, on, match, desc, ref, fp, enabled, end)", key, r->id);
}

static bool rule_complete(struct parser *p, struct rule *r)
{
    if (r->allow) {
        if (!r->nclauses)
            return fail(p, "allow block %s has no 'match' line", r->id);
        if (!r->kind)
            return fail(p, "allow block %s mixes http-only and tls-only fields on one "
                           "event: split it", r->id);
        return true;
    }
    if (!r->sid)
        return fail(p, "rule %s has no sid", r->id);
    if (!r->note || !r->msg || !r->techniques || r->severity == SEV_NONE)
        return fail(p, "rule %s needs note, msg, technique and severity", r->id);
    if (!r->nclauses)
        return fail(p, "rule %s has no 'match' line", r->id);
    for (size_t i = 0; i < p->rs->n; i++)
        if (!p->rs->rules[i]->allow && p->rs->rules[i]->sid == r->sid)
            return fail(p, "rule %s: sid %u is already used by %s", r->id, r->sid,
                        p->rs->rules[i]->id);
    if (!r->rev)
        r->rev = 1;
    return true;
}

static struct rule *rule_new(struct parser *p, const char *id, bool allow)
{
    struct rule *r = calloc(1, sizeof(*r));
    if (!r || !(r->id = strdup(id)) || !(r->file = strdup(p->name))) {
        rule_free(r);
        fail(p, "out of memory");
        return NULL;
    }
    r->line = p->line;
    r->allow = allow;
    r->kind = allow ? (EV_HTTP | EV_TLS) : EV_HTTP;
    r->fields_used[0] = -1;
    return r;
}

static bool add_rule(struct parser *p, struct rule *r)
{
    size_t cap = p->rs->cap;
    if (!grow((void **)&p->rs->rules, &cap, p->rs->n + 1, sizeof(*p->rs->rules)))
        return fail(p, "out of memory");
    p->rs->cap = cap;
    p->rs->rules[p->rs->n++] = r;
    return true;
}

/* `allow KIND VALUE [for SCOPE...]` on one line. */
static bool allow_shorthand(struct parser *p, const char *kind)
{
    static const struct {
        const char *kind, *field1, *op, *field2;
    } forms[] = {
        {"host", "server.name", "domain", NULL},
        {"sni", "tls.sni", "domain", NULL},
        {"ua", "http.user_agent", "is", NULL},
        {"cidr", "server.ip", "in", "client.ip"},
        {"server", "server.ip", "in", NULL},
        {"client", "client.ip", "in", NULL},
    };
    size_t f = ARRAY_LEN(forms);
    for (size_t i = 0; i < ARRAY_LEN(forms); i++)
        if (strcmp(forms[i].kind, kind) == 0)
            f = i;
    if (f == ARRAY_LEN(forms))
        return fail(p, "allow wants host, sni, ua, cidr, server or client followed by a "
                       "value, or a NAME and a block ending in 'end'");
    if (p->ntoks < 3)
        return fail(p, "allow %s needs a value", kind);
    size_t for_at = p->ntoks;
    for (size_t i = 3; i < p->ntoks; i++)
        if (is_kw(&p->toks[i], "for")) {
            for_at = i;
            break;
        }
    if (for_at != 3)
        return fail(p, "allow %s takes one value (then optionally 'for RULE...')", kind);
    char name[48];
    snprintf(name, sizeof(name), "allow-%s-%u", kind, ++p->rs->anon);
    struct rule *r = rule_new(p, name, true);
    if (!r)
        return false;
    /* Rewrite the line as a match line: "match F OP V [or F2 OP V]". */
    struct tok val = p->toks[2];
    struct tok scope[RULES_MAX_TOKENS];
    size_t nscope = p->ntoks > for_at + 1 ? p->ntoks - for_at - 1 : 0;
    if (for_at < p->ntoks && nscope == 0) {
        rule_free(r);
        return fail(p, "'for' needs rule ids, notes or ID-prefix* patterns");
    }
    memcpy(scope, p->toks + for_at + 1, nscope * sizeof(*scope));
    size_t n = 0;
    struct tok *t = p->toks;
    t[n++] = (struct tok){"match", false};
    t[n++] = (struct tok){(char *)forms[f].field1, false};
    t[n++] = (struct tok){(char *)forms[f].op, false};
    t[n++] = val;
    if (forms[f].field2) {
        t[n++] = (struct tok){"or", false};
        t[n++] = (struct tok){(char *)forms[f].field2, false};
        t[n++] = (struct tok){(char *)forms[f].op, false};
        t[n++] = val;
    }
    p->ntoks = n;
    if (!compile_match(p, r, 1)) {
        rule_free(r);
        return false;
    }
    if (nscope) {
        memcpy(p->toks, scope, nscope * sizeof(*scope));
        p->ntoks = nscope;
        if (!add_scope(p, r, 0)) {
            rule_free(r);
            return false;
        }
    }
    if (!add_rule(p, r)) {
        rule_free(r);
        return false;
    }
    return true;
}

/* ---- the file ------------------------------------------------------------------------ */

enum block { B_NONE, B_RULE, B_LIST };

bool ruleset_load_text(struct ruleset *rs, const char *name, const char *text, char *err,
                       size_t errlen)
{
    struct parser *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", name);
        return false;
    }
    p->rs = rs;
    p->name = name;
    p->err = err;
    p->errlen = errlen;
    enum block in = B_NONE;
    struct rule *r = NULL;
    struct rlist *list = NULL;
    int block_line = 0;
    const char *s = text;
    while (*s && !p->failed) {
        p->line++;
        size_t n = strcspn(s, "\n");
        if (n >= sizeof(p->buf)) {
            fail(p, "line longer than %zu bytes", sizeof(p->buf) - 1);
            break;
        }
        memcpy(p->buf, s, n);
        p->buf[n] = '\0';
        s += n + (s[n] == '\n');
        if (memchr(p->buf, '\0', n)) {
            fail(p, "NUL byte in the file");
            break;
        }
        if (!tokenize(p) || p->ntoks == 0)
            continue;
        const char *kw = p->toks[0].quoted ? "" : p->toks[0].s;
        if (in == B_LIST) {
            if (strcmp(kw, "end") == 0 && p->ntoks == 1) {
                in = B_NONE;
                list = NULL;
                continue;
            }
            for (size_t i = 0; i < p->ntoks; i++) {
                struct lw_prefix pf;
                int64_t num = 0;
                if (list->kind == LK_CIDR && !prefix_parse(p->toks[i].s, &pf)) {
                    fail(p, "'%s' is not an address or CIDR prefix", p->toks[i].s);
                    break;
                }
                if (list->kind == LK_NUMBER && !parse_i64(p->toks[i].s, &num)) {
                    fail(p, "'%s' is not a number", p->toks[i].s);
                    break;
                }
                if (!list_add(list, p->toks[i].s, list->kind == LK_CIDR ? &pf : NULL, num)) {
                    fail(p, "out of memory");
                    break;
                }
            }
            continue;
        }
        if (in == B_RULE) {
            if (strcmp(kw, "end") == 0 && p->ntoks == 1) {
                if (rule_complete(p, r) && add_rule(p, r))
                    r = NULL;
                in = B_NONE;
                continue;
            }
            if (strcmp(kw, "rule") == 0 || strcmp(kw, "list") == 0 || strcmp(kw, "allow") == 0) {
                fail(p, "'%s' inside the block opened on line %d: a block ends with 'end'",
                     kw, block_line);
                break;
            }
            rule_line(p, r);
            continue;
        }
        if (strcmp(kw, "rule") == 0) {
            if (p->ntoks != 2 || !valid_id(p->toks[1].s)) {
                fail(p, "'rule' wants one id of letters, digits and - _ . : (e.g. rule LW-MY-1)");
                break;
            }
            if (find_rule(rs, p->toks[1].s)) {
                fail(p, "rule id %s is already defined", p->toks[1].s);
                break;
            }
            r = rule_new(p, p->toks[1].s, false);
            in = B_RULE;
            block_line = p->line;
        } else if (strcmp(kw, "allow") == 0) {
            static const char *const kinds[] = {"host", "sni", "ua", "cidr", "server", "client"};
            bool shorthand = false;
            for (size_t k = 0; k < ARRAY_LEN(kinds) && p->ntoks >= 2; k++)
                shorthand |= strcmp(p->toks[1].s, kinds[k]) == 0;
            if (p->ntoks == 2 && shorthand) {
                fail(p, "allow wants KIND VALUE: 'allow %s' needs a value", p->toks[1].s);
            } else if (p->ntoks == 2) {
                if (!valid_id(p->toks[1].s) || find_rule(rs, p->toks[1].s)) {
                    fail(p, "allow block name '%s' is not a valid, unused id", p->toks[1].s);
                    break;
                }
                r = rule_new(p, p->toks[1].s, true);
                in = B_RULE;
                block_line = p->line;
            } else if (p->ntoks >= 3) {
                allow_shorthand(p, p->toks[1].s);
            } else {
                fail(p, "allow wants KIND VALUE or a block name");
            }
        } else if (strcmp(kw, "list") == 0) {
            if (p->ntoks != 3 || !valid_id(p->toks[1].s)) {
                fail(p, "'list' wants a name and a kind: list NAME domain|exact|prefix|"
                        "suffix|contains|cidr|number");
                break;
            }
            int kind = -1;
            for (int k = 0; k < (int)ARRAY_LEN(list_kind_names); k++)
                if (strcmp(list_kind_names[k], p->toks[2].s) == 0)
                    kind = k;
            if (kind < 0) {
                fail(p, "unknown list kind '%s' (domain, exact, prefix, suffix, contains, "
                        "cidr, number)", p->toks[2].s);
                break;
            }
            list = find_list(rs, p->toks[1].s);
            if (list && list->kind != (enum list_kind)kind) {
                fail(p, "list %s exists with kind %s; adding to it must use that kind",
                     list->name, list_kind_names[list->kind]);
                break;
            }
            if (!list) {
                size_t cap = rs->listcap;
                list = calloc(1, sizeof(*list));
                if (!list || !(list->name = strdup(p->toks[1].s)) ||
                    !grow((void **)&rs->lists, &cap, rs->nlists + 1, sizeof(*rs->lists))) {
                    list_free(list);
                    fail(p, "out of memory");
                    break;
                }
                rs->listcap = cap;
                list->kind = (enum list_kind)kind;
                rs->lists[rs->nlists++] = list;
            }
            in = B_LIST;
            block_line = p->line;
        } else if (strcmp(kw, "disable") == 0) {
            for (size_t i = 1; i < p->ntoks; i++) {
                size_t cap = rs->discap;
                if (!grow((void **)&rs->disables, &cap, rs->ndisables + 1, sizeof(*rs->disables))) {
                    fail(p, "out of memory");
                    break;
                }
                rs->discap = cap;
                rs->disables[rs->ndisables++] =
                    (struct pending){strdup(p->toks[i].s), strdup(name), p->line};
            }
            if (p->ntoks < 2)
                fail(p, "'disable' wants rule ids");
        } else if (strcmp(kw, "end") == 0) {
            fail(p, "'end' without an open rule, list or allow block");
        } else {
            fail(p, "expected rule, list, allow or disable, not '%s'", p->toks[0].s);
        }
    }
    if (!p->failed && in != B_NONE) {
        p->line = block_line;
        fail(p, "block opened here has no 'end'");
    }
    rule_free(r);
    bool ok = !p->failed;
    free(p);
    return ok;
}

bool ruleset_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= RULES_MAX_FILE_BYTES) {
                snprintf(err, errlen, "%s: larger than %u bytes", path, RULES_MAX_FILE_BYTES);
                free(buf);
                fclose(f);
                return false;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + len, 1, cap - len - 1, f);
        len += k;
        if (k == 0)
            break;
    }
    bool rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return false;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        snprintf(err, errlen, "%s: NUL byte in the file (not a rules file?)", path);
        free(buf);
        return false;
    }
    bool ok = ruleset_load_text(rs, path, buf, err, errlen);
    free(buf);
    return ok;
}

bool ruleset_load_builtin(struct ruleset *rs, char *err, size_t errlen)
{
    return ruleset_load_text(rs, "builtin.rules", lw_builtin_rules, err, errlen);
}

bool ruleset_finish(struct ruleset *rs, char *err, size_t errlen)
{
    for (size_t i = 0; i < rs->ndisables; i++) {
        struct pending *d = &rs->disables[i];
        struct rule *r = find_rule(rs, d->id);
        if (!r || r->allow) {
            snprintf(err, errlen, "%s:%d: disable: no rule with id %s", d->file, d->line, d->id);
            return false;
        }
        r->disabled = true;
    }
    for (size_t i = 0; i < rs->n; i++) {
        struct rule *a = rs->rules[i];
        if (!a->allow)
            continue;
        for (size_t k = 0; k < a->nscope; k++) {
            bool any = false;
            for (size_t j = 0; j < rs->n && !any; j++) {
                struct rule one = *a;
                one.scope = &a->scope[k];
                one.nscope = 1;
                any = !rs->rules[j]->allow && rule_in_scope(&one, rs->rules[j]);
            }
            if (!any) {
                snprintf(err, errlen, "%s:%d: allow %s: 'for %s' names no rule id or note",
                         a->file, a->line, a->id, a->scope[k]);
                return false;
            }
        }
    }
    return true;
}

struct ruleset *ruleset_new(void)
{
    return calloc(1, sizeof(struct ruleset));
}

void ruleset_free(struct ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_free(rs->rules[i]);
    free(rs->rules);
    for (size_t i = 0; i < rs->nlists; i++)
        list_free(rs->lists[i]);
    free(rs->lists);
    for (size_t i = 0; i < rs->ndisables; i++) {
        free(rs->disables[i].id);
        free(rs->disables[i].file);
    }
    free(rs->disables);
    free(rs);
}

size_t ruleset_count(const struct ruleset *rs)
{
    return rs->n;
}

const struct rule *ruleset_rule(const struct ruleset *rs, size_t i)
{
    return i < rs->n ? rs->rules[i] : NULL;
}
