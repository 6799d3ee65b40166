/* normalise.c: Sysmon, MsiInstaller and BITS events into struct hostev. */
#define _GNU_SOURCE /* strcasestr */
#include "hostev/normalise.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/stats.h"
#include "core/util.h"

const char *hostev_kind_name(enum hostev_kind k)
{
    static const char *const names[HEV_KIND_COUNT] = {
        "other", "process", "network", "dns", "file", "file_stream", "installer_url",
        "bits_url"};
    return (unsigned)k < HEV_KIND_COUNT ? names[k] : "other";
}

const char *hostev_format_name(enum hostev_format f)
{
    static const char *const names[] = {"none", "ecs", "flat", "xml", "evtx"};
    return (unsigned)f <= HEVF_EVTX ? names[f] : "none";
}

void hostev_clear(struct hostev *e)
{
    char **strs[] = {&e->computer, &e->provider, &e->image, &e->command_line, &e->user,
                     &e->parent_image, &e->parent_command_line, &e->query, &e->target,
                     &e->host_url, &e->url};
    for (size_t i = 0; i < ARRAY_LEN(strs); i++)
        free(*strs[i]);
    memset(e, 0, sizeof(*e));
}

bool hostev_copy(struct hostev *dst, const struct hostev *src)
{
    *dst = *src;
    char **strs[] = {&dst->computer, &dst->provider, &dst->image, &dst->command_line,
                     &dst->user, &dst->parent_image, &dst->parent_command_line, &dst->query,
                     &dst->target, &dst->host_url, &dst->url};
    bool ok = true;
    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        if (*strs[i] && !(*strs[i] = strdup(*strs[i])))
            ok = false;
    }
    if (!ok)
        hostev_clear(dst);
    return ok;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

bool hostev_parse_time(const char *s, int64_t *us)
{
    int Y, M, D, h, m, sec;
    if (!s || strlen(s) < 19 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) ||
        s[7] != '-' || !digits(s + 8, 2, &D) || (s[10] != ' ' && s[10] != 'T') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return false;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return false;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (isdigit((unsigned char)*p)) {
            if (nd < 6) {
                frac = frac * 10 + (*p - '0');
                nd++;
            }
            p++;
        }
        while (nd++ < 6)
            frac *= 10;
    }
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || (p[3] == ':' ? !digits(p + 4, 2, &om) : !digits(p + 3, 2, &om)))
            return false;
        off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    } else if (*p && *p != 'Z') {
        return false;
    }
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
                    .tm_min = m, .tm_sec = sec};
    time_t t = timegm(&tm);
    *us = ((int64_t)t - off) * 1000000 + frac;
    return true;
}

/* A copy of `v` (cut at HEV_MAX_STRING, counted), NULL for absent, empty or "-". */
static char *dup_value(const char *v)
{
    if (!v || !*v || strcmp(v, "-") == 0)
        return NULL;
    size_t n = strlen(v);
    if (n > HEV_MAX_STRING) {
        n = HEV_MAX_STRING;
        lw_stats.hostev_values_cut++;
    }
    return mem_dup_cap(v, n, n);
}

static void guid(char out[40], const char *v)
{
    out[0] = '\0';
    if (!v)
        return;
    while (*v == ' ')
        v++;
    size_t n = strlen(v);
    if (n && v[0] == '{')
        v++, n--;
    if (n && v[n - 1] == '}')
        n--;
    if (n == 0 || n > 36)
        return;
    out[0] = '{';
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (char)tolower((unsigned char)v[i]);
    out[1 + n] = '}';
    out[2 + n] = '\0';
}

static uint32_t u32(const char *v)
{
    if (!v)
        return 0;
    char *end;
    unsigned long x = strtoul(v, &end, 0);
    return end != v && x <= UINT32_MAX ? (uint32_t)x : 0;
}

/* "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." -> the SHA256 value. */
static void sha256_of(char out[65], const char *hashes)
{
    out[0] = '\0';
    const char *p = hashes ? strcasestr(hashes, "SHA256=") : NULL;
    if (!p)
        return;
    p += 7;
    size_t n = 0;
    while (n < 64 && isxdigit((unsigned char)p[n]))
        n++;
    if (n != 64)
        return;
    for (size_t i = 0; i < 64; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[64] = '\0';
}

/* Zone.Identifier contents: "[ZoneTransfer]  ZoneId=3  ReferrerUrl=...  HostUrl=...". */
static char *host_url_of(const char *contents)
{
    const char *p = contents ? strcasestr(contents, "HostUrl=") : NULL;
    if (!p)
        return NULL;
    p += 8;
    size_t n = strcspn(p, " \t\r\n");
    return n ? mem_dup_cap(p, n, n) : NULL;
}

/* QueryResults: "type:  5 a.example;::ffff:192.0.2.1;192.0.2.2;" -> the addresses. */
static void answers(struct hostev *e, const char *v)
{
    if (!v)
        return;
    const char *p = v;
    while (*p && e->nanswers < HEV_MAX_ANSWERS) {
        size_t n = strcspn(p, ";");
        char tmp[64];
        if (n && n < sizeof(tmp)) {
            memcpy(tmp, p, n);
            tmp[n] = '\0';
            char *t = tmp;
            while (*t == ' ')
                t++;
            if (addr_parse(t, &e->answers[e->nanswers]))
                e->nanswers++;
        }
        p += n;
        if (*p == ';')
            p++;
    }
}

static bool is_url(const char *v)
{
    return v && (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0);
}

bool hev_normalise(struct hostev *e, const struct hev_source *src, const char **why)
{
#define GET(name) src->get(src->ctx, name)
    e->format = src->format;
    const char *id = GET("EventID");
    if (!id || !isdigit((unsigned char)*id)) {
        *why = "no EventID";
        return false;
    }
    e->event_id = u32(id);
    e->provider = dup_value(GET("Provider"));
    e->computer = dup_value(GET("Computer"));
    const char *t = GET("UtcTime");
    if (!t || !hostev_parse_time(t, &e->ts)) {
        t = GET("TimeCreated");
        if (!t || !hostev_parse_time(t, &e->ts))
            e->ts = 0;
    }
    const char *prov = e->provider ? e->provider : "";
    bool sysmon = strcasestr(prov, "Sysmon") != NULL || (!*prov && GET("ProcessGuid"));
    if (sysmon) {
        e->image = dup_value(GET("Image"));
        e->command_line = dup_value(GET("CommandLine"));
        e->user = dup_value(GET("User"));
        e->parent_image = dup_value(GET("ParentImage"));
        e->parent_command_line = dup_value(GET("ParentCommandLine"));
        e->pid = u32(GET("ProcessId"));
        e->ppid = u32(GET("ParentProcessId"));
        guid(e->guid, GET("ProcessGuid"));
        guid(e->parent_guid, GET("ParentProcessGuid"));
        switch (e->event_id) {
        case 1:
            e->kind = HEV_PROCESS;
            sha256_of(e->sha256, GET("Hashes"));   /* the image's hash */
            break;
        case 3: {
            e->kind = HEV_NETCONN;
            const char *proto = GET("Protocol");
            e->proto = proto && strcasecmp(proto, "udp") == 0 ? 17 : 6;
            const char *ini = GET("Initiated");
            e->initiated = !ini || strcasecmp(ini, "true") == 0;
            const char *sip = GET("SourceIp"), *dip = GET("DestinationIp");
            char s[64] = "", d[64] = "";
            if (sip)
                snprintf(s, sizeof(s), "%s", sip);
            if (dip)
                snprintf(d, sizeof(d), "%s", dip);
            e->has_tuple = addr_parse(s, &e->src) && addr_parse(d, &e->dst);
            e->sport = (uint16_t)u32(GET("SourcePort"));
            e->dport = (uint16_t)u32(GET("DestinationPort"));
            if (!e->has_tuple)
                lw_stats.hostev_bad_values++;
            break;
        }
        case 22:
            e->kind = HEV_DNS;
            e->query = dup_value(GET("QueryName"));
            answers(e, GET("QueryResults"));
            break;
        case 11:
            e->kind = HEV_FILE;
            e->target = dup_value(GET("TargetFilename"));
            break;
        case 15:
            e->kind = HEV_FILE_STREAM;
            e->target = dup_value(GET("TargetFilename"));
            sha256_of(e->sha256, GET("Hash"));
            e->host_url = host_url_of(GET("Contents"));
            break;
        default:
            e->kind = HEV_OTHER;
        }
    } else if (strcasecmp(prov, "MsiInstaller") == 0 &&
               (e->event_id == 1040 || e->event_id == 1042)) {
        const char *pkg = GET("Data0");
        if (is_url(pkg)) {
            e->kind = HEV_INSTALLER_URL;
            e->url = dup_value(pkg);
        }
        e->pid = u32(GET("Data1"));
    } else if (strcasestr(prov, "Bits-Client") && (e->event_id == 59 || e->event_id == 60)) {
        const char *url = GET("url");
        if (is_url(url)) {
            e->kind = HEV_BITS_URL;
            e->url = dup_value(url);
        }
    }
    return true;
#undef GET
}
