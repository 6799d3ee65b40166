/* xml.c: Windows event XML (one line per event, as Splunk's XmlWinEventLog; or what
 * libevtx renders from an EVTX record), parsed with libxml2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/util.h"
#include "hostev/normalise.h"

#define XML_MAX_PAIRS 96

struct xctx {
    char *names[XML_MAX_PAIRS];
    char *values[XML_MAX_PAIRS];
    size_t n;
};

static void add(struct xctx *c, const char *name, xmlChar *value)
{
    if (c->n < XML_MAX_PAIRS && value) {
        c->names[c->n] = strdup(name);
        c->values[c->n] = strdup((const char *)value);
        if (c->names[c->n] && c->values[c->n])
            c->n++;
        else {
            free(c->names[c->n]);
            free(c->values[c->n]);
        }
    }
    xmlFree(value);
}

static const char *xml_get(void *ctx, const char *name)
{
    struct xctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0)
            return c->values[i];
    return NULL;
}

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void read_system(struct xctx *c, const xmlNode *sys)
{
    for (const xmlNode *n = sys->children; n; n = n->next) {
        if (is(n, "EventID"))
            add(c, "EventID", xmlNodeGetContent(n));
        else if (is(n, "Computer"))
            add(c, "Computer", xmlNodeGetContent(n));
        else if (is(n, "Channel"))
            add(c, "Channel", xmlNodeGetContent(n));
        else if (is(n, "Provider"))
            add(c, "Provider", xmlGetProp(n, (const xmlChar *)"Name"));
        else if (is(n, "TimeCreated"))
            add(c, "TimeCreated", xmlGetProp(n, (const xmlChar *)"SystemTime"));
    }
}

static void read_data(struct xctx *c, const xmlNode *ed)
{
    int unnamed = 0;
    for (const xmlNode *n = ed->children; n; n = n->next) {
        if (!is(n, "Data"))
            continue;
        xmlChar *name = xmlGetProp(n, (const xmlChar *)"Name");
        if (name) {
            add(c, (const char *)name, xmlNodeGetContent(n));
            xmlFree(name);
        } else {
            char key[16];
            snprintf(key, sizeof(key), "Data%d", unnamed++);
            add(c, key, xmlNodeGetContent(n));
        }
    }
}

bool hostev_parse_xml(const char *xml, size_t len, struct hostev *out, const char **why)
{
    hostev_clear(out);
    if (len > INT32_MAX) {
        *why = "XML event too large";
        return false;
    }
    xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                    XML_PARSE_NOBLANKS);
    if (!doc) {
        *why = "not well-formed XML";
        return false;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is(root, "Event")) {
        xmlFreeDoc(doc);
        *why = "XML but not a Windows <Event>";
        return false;
    }
    struct xctx *c = calloc(1, sizeof(*c));
    bool ok = false;
    if (!c) {
        *why = "out of memory";
    } else {
        for (const xmlNode *n = root->children; n; n = n->next) {
            if (is(n, "System"))
                read_system(c, n);
            else if (is(n, "EventData"))
                read_data(c, n);
        }
        struct hev_source src = {xml_get, c, HEVF_XML};
        ok = hev_normalise(out, &src, why);
        for (size_t i = 0; i < c->n; i++) {
            free(c->names[i]);
            free(c->values[i]);
        }
        free(c);
    }
    xmlFreeDoc(doc);
    return ok;
}
