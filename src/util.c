#include "util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

char *util_strdup(const char *s)
{
    return s ? util_strndup(s, strlen(s)) : NULL;
}

char *util_strdup_ok(const char *s, bool *ok)
{
    char *d;

    if (!s)
        return NULL;
    d = util_strdup(s);
    if (!d)
        *ok = false;
    return d;
}

char *util_strndup(const char *s, size_t n)
{
    char *p;

    if (!s)
        return NULL;
    p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

const char *util_path_label(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int util_read_file(const char *path, size_t max, struct buf *out, struct err *e)
{
    char chunk[65536];
    bool std = strcmp(path, "-") == 0;
    struct stat st;
    const char *name = util_path_label(path);
    FILE *f;
    size_t n;
    int rc = 0;

    f = std ? stdin : fopen(path, "rb");
    if (!f)
        return err_set(e, ERR_IO, "cannot read '%s': %s", name, strerror(errno));
    /* a file of known size is read into one buffer of its size: a snapshot of several MiB grown
     * by doubling touched and copied twice its size */
    if (!std && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (!max || (unsigned long long)st.st_size <= max) &&
        buf_reserve(out, (size_t)st.st_size) == 0) {
        size_t room = (size_t)st.st_size;
        while (room > 0 && (n = fread(out->data + out->len, 1, room, f)) > 0) {
            out->len += n;
            out->data[out->len] = '\0';
            room -= n;
        }
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (max && out->len + n > max) {
            rc = err_set(e, ERR_LIMIT, "'%s' is larger than the limit of %zu bytes", name, max);
            goto out;
        }
        rc = buf_add(out, chunk, n);
        if (rc) {
            rc = err_set(e, rc, "cannot read '%s': %s", name,
                         rc == ERR_NOMEM ? "out of memory" : "too large");
            goto out;
        }
    }
    if (ferror(f))
        rc = err_set(e, ERR_IO, "cannot read '%s': %s", name, strerror(errno));
out:
    if (!std)
        fclose(f);
    return rc;
}

/* Writes data to a new temporary file beside path and renames it over path. */
static int write_replace(const char *path, const void *data, size_t len, unsigned mode,
                         struct err *e)
{
    struct buf tmp;
    const char *p = data;
    int fd = -1, rc = 0;

    buf_init(&tmp, 0);
    if (buf_printf(&tmp, "%s.tmp-XXXXXX", path))
        return err_set(e, ERR_NOMEM, "out of memory");
    fd = mkstemp(tmp.data);
    if (fd < 0) {
        rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    if (fchmod(fd, (mode_t)mode) != 0) {
        rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
            goto out;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp.data, path) != 0)
        rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp.data);
    buf_free(&tmp);
    return rc;
}

/* Writes data into what path names as it is (a device, a FIFO, a terminal): no new file. */
static int write_in_place(const char *path, const void *data, size_t len, struct err *e)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    while (len > 0 && !rc) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno != EINTR)
            rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        if (w > 0) {
            p += w;
            len -= (size_t)w;
        }
    }
    if (close(fd) != 0 && !rc)
        rc = err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return rc;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                           struct err *e)
{
    struct stat st;
    char *real;
    int rc;

    if (stat(path, &st) != 0)
        return errno == ENOENT ? write_replace(path, data, len, mode, e)
                               : err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return err_set(e, ERR_INVALID, "cannot write '%s': it is a directory", path);
    if (!S_ISREG(st.st_mode))
        return write_in_place(path, data, len, e);
    /* A regular file, perhaps through a symlink: replace the file, never the link. */
    real = realpath(path, NULL);
    if (!real)
        return err_set(e, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    rc = write_replace(real, data, len, mode, e);
    free(real);
    return rc;
}

bool util_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0 || !S_ISREG(sa.st_mode))
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool util_parse_int(const char *s, long long *out)
{
    char *end;
    long long v;

    if (!s)
        return false;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

bool util_parse_double(const char *s, double *out)
{
    char *end;
    double v;

    if (!s)
        return false;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || !isfinite(v))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

/* Reads exactly n digits at *p into *v; advances *p. */
static bool read_digits(const char **p, int n, int *v)
{
    int x = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

long long util_days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool util_valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

bool util_parse_time(const char *s, long long *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
    const char *p = s;
    bool compact;

    if (!s)
        return false;
    compact = strlen(s) == 16 && s[8] == 'T' && s[15] == 'Z';
    if (compact) {
        /* YYYYMMDDTHHMMSSZ, the X-Sdk-Date format */
        if (!read_digits(&p, 4, &y) || !read_digits(&p, 2, &mo) || !read_digits(&p, 2, &d))
            return false;
        p++;
        if (!read_digits(&p, 2, &h) || !read_digits(&p, 2, &mi) || !read_digits(&p, 2, &sec))
            return false;
        p++;
        goto done;
    }
    if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
        !read_digits(&p, 2, &d))
        return false;
    if (!*p)
        goto done;
    if (*p != ' ' && *p != 'T')
        return false;
    p++;
    if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi) || *p++ != ':' ||
        !read_digits(&p, 2, &sec))
        return false;
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (!read_digits(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (!read_digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
    }
done:
    if (*p)
        return false;
    if (!util_valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 60)
        return false;
    *out = util_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec -
           sign * (oh * 3600LL + om * 60LL);
    return true;
}

void util_format_time(long long t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm)) {
        snprintf(out, size, "1970-01-01T00:00:00Z");
        return;
    }
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What util_map maps for n bytes: whole pages, and from half a huge page up whole huge pages (the
 * rest of the last one is never touched unless used, and a huge page is one fault). */
static size_t map_size(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    if (n >= UTIL_MAP_ALIGN / 2)
        page = UTIL_MAP_ALIGN;
    return n > (size_t)-1 - page ? 0 : (n + page - 1) / page * page;
}

void *util_map(size_t n)
{
    size_t size = map_size(n), extra = size >= UTIL_MAP_ALIGN ? UTIL_MAP_ALIGN : 0;
    char *p, *q;

    if (n == 0 || size == 0 || size + extra < size)
        return NULL;
    p = mmap(NULL, size + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    q = p;
    if (extra) { /* keep an aligned part: a huge page is only used for an aligned 2 MiB */
        q = (char *)(((uintptr_t)p + UTIL_MAP_ALIGN - 1) & ~(uintptr_t)(UTIL_MAP_ALIGN - 1));
        if (q > p)
            munmap(p, (size_t)(q - p));
        if (q + size < p + size + extra)
            munmap(q + size, (size_t)(p + size + extra - (q + size)));
#ifdef MADV_HUGEPAGE
        madvise(q, size, MADV_HUGEPAGE); /* advice: without it, 4 KiB pages as before */
#endif
    }
    return q;
}

void util_unmap(void *p, size_t n)
{
    if (p)
        munmap(p, map_size(n));
}

uint64_t util_hash(const void *data, size_t n)
{
    const unsigned char *s = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

/* ---- libcrypto, opened at the first digest ------------------------------------------------ */

/* libcrypto is not linked but opened when the first digest is taken: mapping and relocating it
 * took 2.5 ms of every start, a third of `sdrs-preflight version`, and an offline check takes its
 * first digest on the thread that hashes the snapshot beside the parse. */
/* the soname of the build's libcrypto: CMakeLists.txt reads it from the library */
#ifndef SDRS_CRYPTO_SONAME
#define SDRS_CRYPTO_SONAME "libcrypto.so.3"
#endif

int util_dl_table(const char *soname, const char *const names[], void **const slots[], size_t n,
                  char *why, size_t whysize)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

    if (!lib) {
        snprintf(why, whysize, "cannot load %s: %s", soname, dlerror());
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!(*slots[i] = dlsym(lib, names[i]))) {
            snprintf(why, whysize, "%s lacks %s: it is older than this build needs", soname,
                     names[i]);
            dlclose(lib);
            return -1;
        }
    return 0; /* the library stays loaded until the process ends */
}

static struct {
    __typeof__(EVP_MD_CTX_new) *md_ctx_new;
    __typeof__(EVP_MD_CTX_free) *md_ctx_free;
    __typeof__(EVP_sha256) *sha256;
    __typeof__(EVP_DigestInit_ex) *digest_init_ex;
    __typeof__(EVP_DigestUpdate) *digest_update;
    __typeof__(EVP_DigestFinal_ex) *digest_final_ex;
    __typeof__(HMAC) *hmac;
    __typeof__(CRYPTO_memcmp) *memcmp_ct;
    __typeof__(OPENSSL_init_crypto) *init;
} cr;

static pthread_once_t cr_once = PTHREAD_ONCE_INIT;
static bool cr_no_config; /* util_crypto_offline() was called */

void util_crypto_offline(void)
{
    cr_no_config = true;
}

/* Without libcrypto nothing can be hashed, signed or verified: the run ends as it did when the
 * dynamic loader could not find a linked library. */
static void cr_load(void)
{
    static const char *const names[] = {
        "EVP_MD_CTX_new",     "EVP_MD_CTX_free",    "EVP_sha256", "EVP_DigestInit_ex",
        "EVP_DigestUpdate",   "EVP_DigestFinal_ex", "HMAC",       "CRYPTO_memcmp",
        "OPENSSL_init_crypto"};
    void **const slot[] = {
        (void **)&cr.md_ctx_new,     (void **)&cr.md_ctx_free,   (void **)&cr.sha256,
        (void **)&cr.digest_init_ex, (void **)&cr.digest_update, (void **)&cr.digest_final_ex,
        (void **)&cr.hmac,           (void **)&cr.memcmp_ct,     (void **)&cr.init};
    char why[512];

    if (util_dl_table(SDRS_CRYPTO_SONAME, names, slot, sizeof names / sizeof *names, why,
                      sizeof why)) {
        fprintf(stderr, "sdrs-preflight: %s (Debian: apt-get install libssl3)\n", why);
        _exit(127);
    }
    /* a process that opens no TLS connection needs no OpenSSL configuration: a digest is the
     * same under any (reading it was a third of libcrypto's first use) */
    if (cr_no_config)
        cr.init(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

#define CRYPTO() pthread_once(&cr_once, cr_load)

struct util_sha256 {
    EVP_MD_CTX *md;
};

struct util_sha256 *util_sha256_new(void)
{
    struct util_sha256 *h = malloc(sizeof *h);

    if (!h)
        return NULL;
    CRYPTO();
    h->md = cr.md_ctx_new();
    if (!h->md || cr.digest_init_ex(h->md, cr.sha256(), NULL) != 1) {
        cr.md_ctx_free(h->md);
        free(h);
        return NULL;
    }
    return h;
}

void util_sha256_update(struct util_sha256 *h, const void *data, size_t len)
{
    cr.digest_update(h->md, data, len);
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int util_hmac_sha256_hex(const void *key, size_t klen, const void *data, size_t len, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok;

    if (klen > INT_MAX)
        return ERR_INVALID;
    CRYPTO();
    ok = cr.hmac(cr.sha256(), key, (int)klen, data, len, mac, &n) != NULL;
    if (ok)
        hex_encode(mac, n, out);
    explicit_bzero(mac, sizeof mac);
    return ok ? 0 : ERR_NOMEM;
}

bool util_secret_equal(const char *a, const char *b, size_t n)
{
    CRYPTO();
    return cr.memcmp_ct(a, b, n) == 0;
}

void util_sha256_final_hex(struct util_sha256 *h, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    cr.digest_final_ex(h->md, md, &n);
    hex_encode(md, n, out);
    util_sha256_free(h);
}

void util_sha256_free(struct util_sha256 *h)
{
    if (!h)
        return;
    cr.md_ctx_free(h->md);
    free(h);
}

int util_sha256_hex(const void *data, size_t len, char *out)
{
    struct util_sha256 *h = util_sha256_new();

    if (!h)
        return ERR_NOMEM;
    util_sha256_update(h, data, len);
    util_sha256_final_hex(h, out);
    return 0;
}

bool util_contains_ci(const char *haystack, const char *needle)
{
    size_t n;

    if (!haystack || !needle)
        return false;
    n = strlen(needle);
    for (const char *p = haystack; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return n == 0;
}

size_t util_utf8_next(const char *s, size_t len, unsigned long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned long c, min;
    size_t n;

    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        n = 2;
        c = u[0] & 0x1F;
        min = 0x80;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        n = 3;
        c = u[0] & 0x0F;
        min = 0x800;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        n = 4;
        c = u[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0; /* overlong, out of range or a surrogate */
    *cp = c;
    return n;
}

bool util_utf8_valid(const char *s, size_t len)
{
    unsigned long cp;

    while (len > 0) {
        size_t n;
        /* eight ASCII bytes, none of them NUL, at a time: most text is ASCII */
        if (len >= 8) {
            uint64_t w;
            memcpy(&w, s, 8);
            if (!(w & 0x8080808080808080ULL) &&
                !((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)) {
                s += 8;
                len -= 8;
                continue;
            }
        }
        n = util_utf8_next(s, len, &cp);
        if (!n || cp == 0)
            return false;
        s += n;
        len -= n;
    }
    return true;
}

void util_utf8_sanitize(char *s)
{
    size_t len = strlen(s);
    unsigned long cp;

    while (len > 0) {
        size_t n = util_utf8_next(s, len, &cp);
        if (!n) {
            *s = '?';
            n = 1;
        }
        s += n;
        len -= n;
    }
}

size_t util_utf8_len(const char *p)
{
    unsigned long cp;
    size_t n = 0;

    while (n < 4 && p[n])
        n++;
    return util_utf8_next(p, n, &cp);
}

size_t util_utf8_prefix(const char *s, size_t max)
{
    size_t n = max;

    if (strnlen(s, max + 1) <= max)
        return strlen(s);
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--; /* s[n] continues the character that would be cut */
    return n;
}

bool util_char_unsafe(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || /* C0, DEL, C1 */
           cp == 0x2028 || cp == 0x2029 ||            /* line and paragraph separators */
           cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || /* bidi controls */
           cp == 0xFEFF ||                   /* byte order mark */
           cp == 0xFFFE || cp == 0xFFFF;     /* non-characters */
}

void util_line_col(const char *data, size_t off, size_t len, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (data[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

size_t util_utf8_encode(unsigned long cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

long util_hex4(const char *p, const char *end)
{
    long v = 0;

    for (int k = 0; k < 4; k++) {
        char c = p + k < end ? p[k] : '\0';
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t digits_at(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

size_t util_json_number_len(const char *s, size_t n)
{
    size_t i = 0, j;

    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return 0;
    i = s[i] == '0' ? i + 1 : digits_at(s, i, n);
    if (i < n && s[i] == '.' && (j = digits_at(s, i + 1, n)) > i + 1)
        i = j;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t k = i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-') ? i + 2 : i + 1;
        if ((j = digits_at(s, k, n)) > k)
            i = j;
    }
    return i;
}

int util_put_path_key(struct buf *out, const char *key, size_t len)
{
    static const char plain_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    size_t n = 0;
    int rc;

    while (n < len && key[n] && strchr(plain_chars, key[n]))
        n++;
    if (len > 0 && n == len)
        return buf_adds(out, ".") || util_put_clean(out, key, len) ? ERR_NOMEM : 0;
    rc = buf_adds(out, "[\"");
    if (!rc)
        rc = util_put_clean(out, key, len);
    return rc ? rc : buf_adds(out, "\"]");
}

int util_put_clean(struct buf *out, const char *s, size_t len)
{
    unsigned long cp;
    int rc = 0;

    while (len > 0 && !rc) {
        size_t n = 0;

        /* a run of printable ASCII at once; near the cap, one character at a time */
        while (n < len && (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f)
            n++;
        if (n > 1 && buf_add(out, s, n) == 0) {
            s += n;
            len -= n;
            continue;
        }
        n = util_utf8_next(s, len, &cp);
        if (n == 0) {
            rc = buf_add(out, "?", 1);
            n = 1;
        } else if (util_char_unsafe(cp)) {
            rc = buf_add(out, " ", 1);
        } else {
            rc = buf_add(out, s, n);
        }
        s += n;
        len -= n;
    }
    return rc;
}

bool util_same_id(const char *a, const char *b)
{
    for (;;) {
        while (*a == '-')
            a++;
        while (*b == '-')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
            return false;
    }
}

bool util_id_key(const char *id, char *out, size_t size)
{
    size_t n = 0;

    for (; *id; id++) {
        if (*id == '-')
            continue;
        if (n + 1 >= size)
            return false;
        out[n++] = (char)tolower((unsigned char)*id);
    }
    if (size == 0)
        return false;
    out[n] = '\0';
    return true;
}

bool util_url_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("-_.", id[i]))
            return false;
    return strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

long long util_now_ms(void)
{
    return util_now_us() / 1000;
}

long long util_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
