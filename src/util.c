#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

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

int util_read_file(const char *path, size_t max, struct buf *out, struct err *e)
{
    char chunk[65536];
    FILE *f;
    size_t n;
    int rc = 0;

    f = fopen(path, "rb");
    if (!f)
        return err_set(e, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (max && out->len + n > max) {
            rc = err_set(e, ERR_LIMIT, "'%s' is larger than the limit of %zu bytes", path, max);
            goto out;
        }
        rc = buf_add(out, chunk, n);
        if (rc) {
            rc = err_set(e, rc, "cannot read '%s': %s", path,
                         rc == ERR_NOMEM ? "out of memory" : "too large");
            goto out;
        }
    }
    if (ferror(f))
        rc = err_set(e, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
out:
    fclose(f);
    return rc;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
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

bool util_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
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

struct util_sha256 {
    EVP_MD_CTX *md;
};

struct util_sha256 *util_sha256_new(void)
{
    struct util_sha256 *h = malloc(sizeof *h);

    if (!h)
        return NULL;
    h->md = EVP_MD_CTX_new();
    if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->md);
        free(h);
        return NULL;
    }
    return h;
}

void util_sha256_update(struct util_sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->md, data, len);
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

void util_sha256_final_hex(struct util_sha256 *h, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_DigestFinal_ex(h->md, md, &n);
    hex_encode(md, n, out);
    util_sha256_free(h);
}

void util_sha256_free(struct util_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md);
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

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp, min;

    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool util_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    while (len > 0) {
        size_t n = utf8_seq(p, len);
        if (!n)
            return false;
        p += n;
        len -= n;
    }
    return true;
}

void util_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t len = strlen(s);

    while (len > 0) {
        size_t n = utf8_seq(p, len);
        if (!n) {
            *p = '?';
            n = 1;
        }
        p += n;
        len -= n;
    }
}

size_t util_utf8_len(const char *p)
{
    size_t n = 0;

    while (n < 4 && p[n])
        n++;
    return n ? utf8_seq((const unsigned char *)p, n) : 0;
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
