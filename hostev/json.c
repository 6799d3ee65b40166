/* json.c: Winlogbeat/ECS and flat (NXLog-style) JSON lines, with cJSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hostev/normalise.h"

struct jctx {
    const cJSON *root;
    char buf[HEV_MAX_STRING + 1];
};

/* The object member at a dotted path ("process.parent.pid"). */
static const cJSON *at(const cJSON *o, const char *path)
{
    char part[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, part) : NULL;
        path += n + (path[n] == '.');
    }
    return o;
}

/* A string, number or boolean as text in c->buf; arrays of strings joined with ';'. */
static const char *text(struct jctx *c, const cJSON *v)
{
    if (!v)
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(c->buf, sizeof(c->buf), "%.0f", v->valuedouble);
        return c->buf;
    }
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsArray(v)) {
        size_t len = 0;
        c->buf[0] = '\0';
        const cJSON *it;
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it))
                continue;
            int k = snprintf(c->buf + len, sizeof(c->buf) - len, "%s;", it->valuestring);
            if (k < 0 || (size_t)k >= sizeof(c->buf) - len)
                break;
            len += (size_t)k;
        }
        return c->buf;
    }
    return NULL;
}

/* Flat: Sysmon's names at the top level; the collector's names for the System part. */
static const char *flat_get(void *ctx, const char *name)
{
    struct jctx *c = ctx;
    static const char *const alias[][4] = {
        {"Provider", "SourceName", "ProviderName", "Provider_Name"},
        {"Computer", "Hostname", "Computer", "computer_name"},
        {"TimeCreated", "TimeCreated", "EventTime", "@timestamp"},
        {"Data0", "param1", "Data", NULL},
        {"Data1", "param2", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
        if (strcmp(name, alias[i][0]) != 0)
            continue;
        for (int k = 1; k < 4 && alias[i][k]; k++) {
            const char *v = text(c, at(c->root, alias[i][k]));
            if (v)
                return v;
        }
        return NULL;
    }
    return text(c, cJSON_GetObjectItemCaseSensitive(c->root, name));
}

/* ECS: Winlogbeat's sysmon module moves EventData into ECS fields; what it does not
 * map stays under winlog.event_data. */
static const char *ecs_get(void *ctx, const char *name)
{
    struct jctx *c = ctx;
    static const char *const map[][3] = {
        {"EventID", "winlog.event_id", "event.code"},
        {"Provider", "winlog.provider_name", "event.provider"},
        {"Computer", "winlog.computer_name", "host.name"},
        {"UtcTime", "winlog.event_data.UtcTime", "@timestamp"},
        {"TimeCreated", "@timestamp", NULL},
        {"Image", "process.executable", NULL},
        {"CommandLine", "process.command_line", NULL},
        {"ProcessId", "process.pid", NULL},
        {"ProcessGuid", "process.entity_id", NULL},
        {"ParentImage", "process.parent.executable", NULL},
        {"ParentCommandLine", "process.parent.command_line", NULL},
        {"ParentProcessId", "process.parent.pid", NULL},
        {"ParentProcessGuid", "process.parent.entity_id", NULL},
        {"SourceIp", "source.ip", NULL},
        {"SourcePort", "source.port", NULL},
        {"DestinationIp", "destination.ip", NULL},
        {"DestinationPort", "destination.port", NULL},
        {"Protocol", "network.transport", NULL},
        {"QueryName", "dns.question.name", NULL},
        {"QueryResults", "dns.resolved_ip", NULL},
        {"TargetFilename", "file.path", NULL},
        {"Data0", "winlog.event_data.param1", NULL},
        {"Data1", "winlog.event_data.param2", NULL},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(name, map[i][0]) != 0)
            continue;
        for (int k = 1; k < 3 && map[i][k]; k++) {
            const char *v = text(c, at(c->root, map[i][k]));
            if (v)
                return v;
        }
        break;
    }
    if (strcmp(name, "User") == 0) {
        const char *d = text(c, at(c->root, "user.domain"));
        char dom[256];
        snprintf(dom, sizeof(dom), "%s", d ? d : "");
        const char *u = text(c, at(c->root, "user.name"));
        if (!u)
            return NULL;
        snprintf(c->buf, sizeof(c->buf), "%s%s%s", dom, *dom ? "\\" : "", u);
        return c->buf;
    }
    if (strcmp(name, "Initiated") == 0) {
        const char *dir = text(c, at(c->root, "network.direction"));
        if (dir)
            return strcmp(dir, "ingress") == 0 || strcmp(dir, "inbound") == 0 ? "false" : "true";
    }
    if (strcmp(name, "Hash") == 0 || strcmp(name, "Hashes") == 0) {
        const char *h = text(c, at(c->root, name[4] ? "process.hash.sha256" : "file.hash.sha256"));
        if (h) {
            snprintf(c->buf, sizeof(c->buf), "SHA256=%s", h);
            return c->buf;
        }
    }
    char path[128];
    snprintf(path, sizeof(path), "winlog.event_data.%s", name);
    return text(c, at(c->root, path));
}

bool hostev_parse_json(const char *line, size_t len, struct hostev *out, const char **why);
bool hostev_parse_json(const char *line, size_t len, struct hostev *out, const char **why)
{
    cJSON *root = cJSON_ParseWithLength(line, len);
    if (!root) {
        *why = "not JSON";
        return false;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *why = "JSON but not an object";
        return false;
    }
    struct jctx *c = malloc(sizeof(*c));
    if (!c) {
        cJSON_Delete(root);
        *why = "out of memory";
        return false;
    }
    c->root = root;
    bool ecs = at(root, "winlog") != NULL || at(root, "event.code") != NULL;
    struct hev_source src = {ecs ? ecs_get : flat_get, c, ecs ? HEVF_ECS : HEVF_FLAT};
    bool ok = hev_normalise(out, &src, why);
    if (!ok)
        *why = "JSON object without an EventID (not a Windows event)";
    free(c);
    cJSON_Delete(root);
    return ok;
}
