/* classify.c: nDPI on every connection until it has decided (see classify.h). */
#include "dissect/classify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/flow.h"

static _Thread_local struct ndpi_detection_module_struct *ndpi;
static _Thread_local u_int32_t flow_size;
static _Thread_local quic_sink_fn quic_sink;
static _Thread_local void *quic_ctx;

void classify_set_quic_sink(quic_sink_fn fn, void *ctx)
{
    quic_sink = fn;
    quic_ctx = ctx;
}

/* nDPI's set-up and tear-down are not documented as thread-safe: one at a time. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

bool classify_init(void)
{
    if (ndpi)
        return true;
    pthread_mutex_lock(&init_lock);
    ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (ndpi) {
        NDPI_PROTOCOL_BITMASK all;
        NDPI_BITMASK_SET_ALL(all);
        ndpi_set_protocol_detection_bitmask2(ndpi, &all);
        ndpi_finalize_initialization(ndpi);
    }
    pthread_mutex_unlock(&init_lock);
    if (!ndpi) {
        fprintf(stderr, "lolwire: nDPI could not be initialised\n");
        return false;
    }
    flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
    return true;
}

void classify_shutdown(void)
{
    pthread_mutex_lock(&init_lock);
    if (ndpi)
        ndpi_exit_detection_module(ndpi);
    pthread_mutex_unlock(&init_lock);
    ndpi = NULL;
}

/* The name of Zeek's analyzer for an nDPI protocol, for conn.log's `service`; only
 * protocols Zeek has an analyzer for are named (Zeek never labels by port alone). */
static const char *zeek_service(uint16_t id, const struct flow *f)
{
    switch (id) {
    case NDPI_PROTOCOL_DNS:
    case NDPI_PROTOCOL_MDNS:
    case NDPI_PROTOCOL_LLMNR: return "dns";
    case NDPI_PROTOCOL_NETBIOS:
        /* Zeek's DNS analyzer reads NetBIOS name service (137/udp) */
        return f->proto == 17 && f->resp_p == 137 ? "dns" : NULL;
    case NDPI_PROTOCOL_HTTP:
    case NDPI_PROTOCOL_HTTP_CONNECT:
    case NDPI_PROTOCOL_HTTP_PROXY: return "http";
    case NDPI_PROTOCOL_TLS: return "ssl";
    case NDPI_PROTOCOL_QUIC: return "quic";
    case NDPI_PROTOCOL_SSH: return "ssh";
    case NDPI_PROTOCOL_NTP: return "ntp";
    case NDPI_PROTOCOL_DHCP: return "dhcp";
    case NDPI_PROTOCOL_MAIL_SMTP:
    case NDPI_PROTOCOL_MAIL_SMTPS: return "smtp";
    case NDPI_PROTOCOL_MAIL_IMAP:
    case NDPI_PROTOCOL_MAIL_IMAPS: return "imap";
    case NDPI_PROTOCOL_MAIL_POP:
    case NDPI_PROTOCOL_MAIL_POPS: return "pop3";
    case NDPI_PROTOCOL_FTP_CONTROL: return "ftp";
    case NDPI_PROTOCOL_IRC: return "irc";
    case NDPI_PROTOCOL_JABBER: return "xmpp";
    case NDPI_PROTOCOL_SIP: return "sip";
    case NDPI_PROTOCOL_SNMP: return "snmp";
    case NDPI_PROTOCOL_RDP: return "rdp";
    case NDPI_PROTOCOL_SMBV1:
    case NDPI_PROTOCOL_SMBV23: return "smb";
    case NDPI_PROTOCOL_MYSQL: return "mysql";
    case NDPI_PROTOCOL_POSTGRES: return "postgresql";
    case NDPI_PROTOCOL_RADIUS: return "radius";
    case NDPI_PROTOCOL_SYSLOG: return "syslog";
    case NDPI_PROTOCOL_KERBEROS: return f->proto == 6 ? "krb_tcp" : "krb";
    case NDPI_PROTOCOL_LDAP: return "ldap";
    case NDPI_PROTOCOL_DCERPC: return "dce_rpc";
    case NDPI_PROTOCOL_MODBUS: return "modbus";
    case NDPI_PROTOCOL_DNP3: return "dnp3";
    case NDPI_PROTOCOL_VNC: return "rfb";
    case NDPI_PROTOCOL_MQTT: return "mqtt";
    case NDPI_PROTOCOL_REDIS: return "redis";
    case NDPI_PROTOCOL_TEREDO: return "teredo";
    default: return NULL;
    }
}

static void free_state(struct flow *f)
{
    if (f->ndpi) {
        ndpi_free_flow_data(f->ndpi);
        free(f->ndpi);
        f->ndpi = NULL;
    }
}

static void settle(struct flow *f, ndpi_protocol pr)
{
    struct classify_result *c = &f->cls;
    struct ndpi_flow_struct *nf = f->ndpi;
    c->master = pr.master_protocol;
    c->app = pr.app_protocol;
    c->risk = nf->risk;
    c->done = true;
    if (c->master == NDPI_PROTOCOL_QUIC || c->app == NDPI_PROTOCOL_QUIC) {
        if (nf->host_server_name[0])
            c->quic_sni = strndup(nf->host_server_name, sizeof(nf->host_server_name));
        if (nf->protos.tls_quic.alpn)
            c->quic_alpn = strndup(nf->protos.tls_quic.alpn, 256);
    }
    /* Zeek's service names for what nDPI found; the master first ("TLS" of "TLS.Google"). */
    const char *s = zeek_service(c->master, f);
    if (s)
        flow_add_service(f, s);
    s = zeek_service(c->app, f);
    if (s)
        flow_add_service(f, s);
    free_state(f);
    lw_stats.classify_decided += c->master || c->app;
}

/* nDPI must answer now: what it knows, without guessing by port. */
static void settle_now(struct flow *f)
{
    u_int8_t guessed = 0;
    settle(f, ndpi_detection_giveup(ndpi, f->ndpi, 0, &guessed));
}

void classify_packet(struct flow *f, const struct l4pkt *p)
{
    struct classify_result *c = &f->cls;
    if (c->done || !ndpi || !p->ip)
        return;
    if (!f->ndpi) {
        f->ndpi = calloc(1, flow_size);
        if (!f->ndpi) {
            c->done = true;
            return;
        }
        lw_stats.classify_flows++;
    }
    if (f->proto == 17 && !c->quic_version && p->payload_caplen >= 5 && (p->payload[0] & 0x80))
        c->quic_version = (uint32_t)p->payload[1] << 24 | (uint32_t)p->payload[2] << 16 |
                          (uint32_t)p->payload[3] << 8 | p->payload[4];
    uint32_t len = p->ip_caplen > 65535 ? 65535 : p->ip_caplen;
    ndpi_protocol pr = ndpi_detection_process_packet(ndpi, f->ndpi, p->ip, (unsigned short)len,
                                                     (u_int64_t)(p->ts / 1000));
    c->pkts++;
    bool decided = pr.master_protocol != NDPI_PROTOCOL_UNKNOWN ||
                   pr.app_protocol != NDPI_PROTOCOL_UNKNOWN;
    uint32_t cap = f->proto == 6 ? CLASSIFY_MAX_TCP_PKTS : CLASSIFY_MAX_UDP_PKTS;
    if (decided && !ndpi_extra_dissection_possible(ndpi, f->ndpi))
        settle(f, pr);
    else if (c->pkts >= cap)
        settle_now(f);
}

void classify_end(struct flow *f)
{
    struct classify_result *c = &f->cls;
    if (f->ndpi)
        settle_now(f);
    c->done = true;
    if (quic_sink && (c->master == NDPI_PROTOCOL_QUIC || c->app == NDPI_PROTOCOL_QUIC))
        quic_sink(quic_ctx, f);
}

void classify_free(struct flow *f)
{
    free_state(f);
    free(f->cls.quic_sni);
    free(f->cls.quic_alpn);
    memset(&f->cls, 0, sizeof(f->cls));
}

const char *classify_name(const struct flow *f, char *buf, size_t n)
{
    const struct classify_result *c = &f->cls;
    if (!ndpi || (!c->master && !c->app))
        return NULL;
    ndpi_protocol pr = {.master_protocol = c->master, .app_protocol = c->app};
    return ndpi_protocol2name(ndpi, pr, buf, (u_int)n);
}

const char *classify_risk_name(unsigned bit)
{
    if (bit == 0 || bit >= NDPI_MAX_RISK || bit >= 64)
        return NULL;
    return ndpi_risk2str((ndpi_risk_enum)bit);
}
