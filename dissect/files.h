/* files.h: file analysis of transferred bodies: type by content, hashes, sizes, gaps.
 *
 * A file is a body after de-chunking and content decoding.  Its type comes from its
 * bytes only (shared/detection/NOTES.md §4), never from the URL or Content-Type (those
 * are evidence for mismatch rules).  Only a body that starts at offset 0 of the file is
 * typed and hashed (a later range of a ranged download is not).
 *
 * Hash policy: MD5, SHA-1 and SHA-256 of every file seen from its first byte; a file
 * with a gap (missing bytes) or cut by a cap gets no hashes, since they would describe
 * bytes that were never transferred.
 */
#ifndef LW_DISSECT_FILES_H
#define LW_DISSECT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow;

#define FILE_FUID_LEN 24
#define FILE_HEAD_BYTES 4096 /* bytes kept for typing (HTA's marker must be in the first 4 KB) */

/* --extract: a body kept (decoded, up to the cap) until its transaction's verdict. */
struct file_body {
    uint8_t *p;                 /* a sink may take it (set p to NULL, then files_body_free) */
    size_t len, cap;
    bool cut;                   /* not all of the body: a cap or a gap */
};

struct file_info {
    char fuid[FILE_FUID_LEN];
    int64_t ts, last_ts;
    const char *source;         /* "HTTP" */
    uint32_t depth;             /* the HTTP transaction's depth */
    bool is_orig;               /* sent by the originator (an upload) */
    const char *mime_type;      /* from the bytes; NULL when unknown */
    char *filename;             /* from Content-Disposition, or NULL */
    uint64_t seen_bytes;
    uint64_t total_bytes;       /* declared size, or UINT64_MAX when unknown */
    uint64_t missing_bytes;
    uint64_t overflow_bytes;
    uint64_t offset;            /* where this body starts in the file (ranges) */
    bool is_range;              /* a byte range of a file (Content-Range) */
    bool timedout;
    bool hashed;                /* md5/sha1/sha256 are valid */
    char md5[33], sha1[41], sha256[65];
    bool decode_failed;         /* content decoding gave up (corrupt or bomb) */
    uint32_t markers;           /* enum file_marker bits */
    double entropy;             /* bits per byte of the first FILE_HEAD_BYTES, or -1 */
    struct file_body *body;     /* files_keep_bodies(): the bytes, else NULL */
    const char *extracted;      /* --extract: the stored file's name, or NULL */
    bool extracted_cutoff;      /* what was stored is not all of the body */
    uint64_t extracted_size;
};

/* Content markers found in a file's first FILE_HEAD_BYTES (evidence for rules). */
enum file_marker {
    FILE_MARK_SHELL_EXEC = 1 << 0,  /* WScript.Shell, Shell.Application, ShellExecute, cmd /c */
    FILE_MARK_DOWNLOADER = 1 << 1,  /* DownloadString/File, Net.WebClient, XMLHTTP, BITS... */
    FILE_MARK_ENCODED = 1 << 2,     /* FromBase64String, -EncodedCommand */
    FILE_MARK_ACTIVEX = 1 << 3,     /* ActiveXObject, CreateObject( */
    FILE_MARK_DLL = 1 << 4,         /* a PE whose characteristics say DLL */
    FILE_MARK_DOTNET = 1 << 5,      /* a PE with a CLR runtime header (.NET assembly) */
    FILE_MARK_XSL_SCRIPT = 1 << 6,  /* XSLT with a Microsoft script block (msxsl:script) */
    FILE_MARK_INLINE_TASK = 1 << 7, /* MSBuild project with an inline task (UsingTask + TaskFactory) */
};
#define FILE_MARK_COUNT 8
/* "shell-exec", "downloader", ... for bit `i`. */
const char *file_marker_name(unsigned i);

/* What a finished file was, for the transaction that carried it. */
struct file_summary {
    const char *mime;           /* from the bytes, or NULL */
    uint64_t size;              /* bytes seen (after content decoding) */
    uint64_t offset;            /* where the body starts in the file (ranges) */
    uint32_t markers;           /* enum file_marker bits */
    double entropy;             /* bits per byte of the first bytes kept, or -1 */
    uint32_t head_len;          /* how many bytes that was */
    bool hashed;
    char md5[33], sha1[41], sha256[65];
};

struct file_state;

/* Where finished files go (files.log); set by each worker thread for itself. */
typedef void (*file_sink_fn)(void *ctx, const struct flow *f, const struct file_info *fi);
void files_set_sink(file_sink_fn fn, void *ctx);

/* --extract: keep each body's decoded bytes, up to `max` bytes, for the file sink
 * (file_info.body).  Call before the workers start.  Each worker holds at most
 * FILES_KEEP_MEMORY bytes of bodies at once; past it, bodies are cut (counted). */
void files_keep_bodies(uint64_t max);
/* Free a body a sink took, in the worker that kept it. */
void files_body_free(uint8_t *p, size_t cap);

/* Seed for fuids (random per run, or --seed); call before the workers start. */
void files_seed(uint64_t seed);

/* Hashes computed for payloads (executables, scripts, archives, documents, installers,
 * bodies of unknown type) and for display content (images, audio, video, fonts, HTML,
 * CSS), as sets of these bits.  The defaults are --hashes auto. */
enum { FILE_HASH_MD5 = 1, FILE_HASH_SHA1 = 2, FILE_HASH_SHA256 = 4, FILE_HASH_ALL = 7 };
#define FILE_HASH_PAYLOAD_DEFAULT FILE_HASH_ALL
#define FILE_HASH_DISPLAY_DEFAULT FILE_HASH_SHA256
void files_set_hashes(unsigned payload, unsigned display);

/* Begin a file.  `total` is the declared length (UINT64_MAX if unknown), `offset` the
 * position of the first byte in the whole file (non-zero for a later range); `is_range`:
 * the body is a byte range of a larger file (206, a byteranges part), which is hashed only
 * if it turns out to be all of it.
 * `encoding`: NULL, "gzip", "x-gzip" or "deflate" (content decoding before analysis). */
struct file_state *file_begin(struct flow *f, bool is_orig, int64_t ts, uint32_t depth,
                              const char *filename, uint64_t total, uint64_t offset,
                              bool is_range, const char *encoding);

/* Feed body bytes (as transferred, before content decoding). */
void file_data(struct file_state *fs, const uint8_t *data, size_t len, int64_t ts);

/* `len` body bytes are missing (a TCP gap). */
void file_gap(struct file_state *fs, uint64_t len);

/* The file was cut off by its connection's inactivity timeout or eviction. */
void file_timedout(struct file_state *fs);

/* The file's fuid (for http.log). */
const char *file_fuid(const struct file_state *fs);

/* Bytes after content decoding, when the body was content-encoded and decoded; false
 * otherwise (then the transferred length is the body's length). */
bool file_decoded_len(const struct file_state *fs, uint64_t *len);

/* A declared content coding was not applied to the bytes (unknown, or the bytes were
 * not in it): the body was taken as it is. */
bool file_coding_ignored(const struct file_state *fs);

/* Finish: type it, finalise the hashes, report it, free it.  Returns the mime type
 * (a static string) or NULL; fills `out` when it is not NULL. */
const char *file_end(struct file_state *fs, const struct flow *f, int64_t ts,
                     struct file_summary *out);

/* Content markers of a whole buffer typed as `mime` (for tests). */
uint32_t file_markers(const uint8_t *p, size_t len, const char *mime);

/* Type by content of a whole buffer (for tests and for callers with all bytes). */
const char *file_magic(const uint8_t *p, size_t len);

#endif
