/*
 * Small helpers: files, strings, numbers, time and SHA-256.
 *
 * Strings returned by *_dup functions are malloc'ed and owned by the caller. Nothing here prints.
 */
#ifndef SDRS_UTIL_H
#define SDRS_UTIL_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

#define UTIL_SHA256_HEX 65 /* 64 hex digits and a NUL */

/* Duplicates s (NULL for NULL or on allocation failure). */
char *util_strdup(const char *s);
/* Duplicates s (NULL stays NULL); sets *ok to false when the allocation fails. */
char *util_strdup_ok(const char *s, bool *ok);
/* Duplicates the first n bytes of s and terminates them. */
char *util_strndup(const char *s, size_t n);

/* Reads the whole file into out (appending), failing with ERR_LIMIT beyond max bytes
 * (0: no cap). "-" is standard input; a pipe or FIFO (<(command)) is read to its end. Messages
 * name the path ("standard input" for "-"). */
int util_read_file(const char *path, size_t max, struct buf *out, struct err *e);

/* How messages name an input path: "<stdin>" for "-", else the path. */
const char *util_path_label(const char *path);

/* Writes data to path. A regular file (or none yet) is written through a temporary file in the
 * same directory and a rename, so that the destination is either the old file or the complete new
 * one; through a symlink, the file it points to is replaced, never the link. Anything else (a
 * device such as /dev/null, a FIFO, a terminal, /dev/stdout) is written in place, never replaced
 * by a file. A directory is refused (ERR_INVALID). Mode is applied to new files. */
int util_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                           struct err *e);

/* True when both paths name the same existing regular file (same device and inode): a device,
 * FIFO or directory is never "the same file" as an input, since writing it replaces nothing. */
bool util_same_file(const char *a, const char *b);

/* Parses a whole string as a decimal integer (optional sign, surrounding blanks allowed). */
bool util_parse_int(const char *s, long long *out);
/* Parses a whole string as a finite decimal number. */
bool util_parse_double(const char *s, double *out);

/* Parses an API timestamp to seconds since the epoch (UTC when no zone is given). Accepts
 * "YYYY-MM-DD HH:MM:SS[.f]", "YYYY-MM-DDTHH:MM:SS[.f][Z|+hh:mm|+hhmm]", "YYYY-MM-DD" and
 * "YYYYMMDDTHHMMSSZ". Returns false for anything else. */
bool util_parse_time(const char *s, long long *out);
/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
long long util_days_from_civil(long long y, int m, int d);
/* True for an existing calendar date (year 1 or later). */
bool util_valid_date(int y, int m, int d);
/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (out has at least 21 bytes). */
void util_format_time(long long t, char *out, size_t size);

/* Lower-case hex SHA-256 of data into out[UTIL_SHA256_HEX]. Returns 0 or ERR_NOMEM. */
int util_sha256_hex(const void *data, size_t len, char *out);

/* Lower-case hex HMAC-SHA256 of data under key into out[UTIL_SHA256_HEX]; the raw MAC is wiped.
 * Returns 0 or ERR_NOMEM. */
int util_hmac_sha256_hex(const void *key, size_t klen, const void *data, size_t len, char *out);

/* Compares two equal-length secrets (MACs) in time that does not depend on where they differ. */
bool util_secret_equal(const char *a, const char *b, size_t n);

/* Incremental SHA-256. */
/* Memory for large pieces (a snapshot's text and parse, large buffers, the Lua states' chunks),
 * mapped directly: zeroed, and from UTIL_MAP_ALIGN / 2 bytes up aligned to UTIL_MAP_ALIGN, in
 * whole huge pages and advised for transparent huge pages. Where the system grants them on request
 * (THP "madvise" or "always"), touching it costs one page fault per 2 MiB instead of one per 4 KiB
 * page; on a virtual machine a fault costs microseconds, and a check of a large group touched
 * thousands of pages. util_unmap takes the same n. NULL when out of memory. */
#define UTIL_MAP_ALIGN ((size_t)2 << 20)

/* Opens the shared library soname (dlopen) and resolves names[i] into *slots[i] for the n names:
 * the libraries the program opens when first needed (libcurl, libcrypto). Returns 0, or -1 with
 * why saying what failed (the library cannot be opened, or lacks a function: it is older than the
 * build), the library closed and the slots not to be used. */
int util_dl_table(const char *soname, const char *const names[], void **const slots[], size_t n,
                  char *why, size_t whysize);
void *util_map(size_t n);
/* A hash of n bytes for tables in memory (FNV-1a over eight bytes at a time, then mixed): fast,
 * not for anything an attacker may choose keys for to collide. */
uint64_t util_hash(const void *data, size_t n);

/* pthread_create for a thread that works beside its creator: it starts on another processor than
 * the creator's (then may run on any). Linux here often queued a new thread behind its creator,
 * which went on running: it started 2-4 ms later, against 0.2-0.4 ms on the other processor.
 * Returns pthread_create's result. */
int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
#ifdef CPU_SETSIZE
/* The same with the processors to start on given (NULL or an empty set: anywhere). A set that
 * cannot be used (not allowed, or the process may not set affinities) starts it anywhere. */
int util_thread_start_on(pthread_t *t, void *(*fn)(void *), void *arg, const cpu_set_t *first);
#endif

/* A lock for a few instructions' work, taken without sleeping. On this kind of virtual machine a
 * thread that sleeps on a contended mutex is woken onto the processor of the thread that woke it,
 * which goes on running: it waited 2-5 ms for it where the work under the lock takes microseconds.
 * A waiter spins (x86's PAUSE), and after a thousand turns yields its processor. */
typedef atomic_flag util_spin;
#define UTIL_SPIN_INIT ATOMIC_FLAG_INIT

static inline void util_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline void util_spin_lock(util_spin *l)
{
    for (unsigned n = 0; atomic_flag_test_and_set_explicit(l, memory_order_acquire); n++) {
        if (n < 1000)
            util_cpu_relax();
        else
            sched_yield();
    }
}

static inline void util_spin_unlock(util_spin *l)
{
    atomic_flag_clear_explicit(l, memory_order_release);
}
void util_unmap(void *p, size_t n);

/* For a process that opens no TLS connection (an offline check), called before its first digest:
 * libcrypto starts without reading the OpenSSL configuration, which a digest does not depend on.
 * Never call it where libcurl may run, which needs the configuration (it is read once or never). */
void util_crypto_offline(void);

struct util_sha256;
struct util_sha256 *util_sha256_new(void);
void util_sha256_update(struct util_sha256 *h, const void *data, size_t len);
/* Writes the hex digest and frees h. */
void util_sha256_final_hex(struct util_sha256 *h, char *out);
void util_sha256_free(struct util_sha256 *h);

/* The one UTF-8 decoder: the length (1 to 4) of the well-formed character at s[0..len), with its
 * code point in *cp; 0 when len is 0 or the bytes there are not well-formed UTF-8 (overlong,
 * surrogate, above U+10FFFF, cut short). A NUL byte is the character U+0000. */
size_t util_utf8_next(const char *s, size_t len, unsigned long *cp);
/* True when s[0..len) is well-formed UTF-8 without NUL bytes. */
bool util_utf8_valid(const char *s, size_t len);
/* Length of the well-formed UTF-8 character that starts at p (a NUL-terminated string), or 0. */
size_t util_utf8_len(const char *p);
/* Replaces bytes that are not part of well-formed UTF-8 with '?', in place. */
void util_utf8_sanitize(char *s);
/* The length of the longest prefix of the NUL-terminated s that has at most max bytes and does not
 * end inside a UTF-8 character: where to cut s to fit max bytes. */
size_t util_utf8_prefix(const char *s, size_t max);

/* The one notion of an unsafe character, shared by every writer of untrusted text (the report
 * formats, the fleet lines, diagnostics, API error messages): true for what a terminal, a log
 * viewer or a document would act on or hide rather than show: C0 controls (tab and line breaks
 * included), DEL, C1 controls, U+2028 and U+2029 (line and paragraph separators), the bidi
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), U+FEFF (byte order mark)
 * and the non-characters U+FFFE and U+FFFF. Each writer decides what replaces it. */
bool util_char_unsafe(unsigned long cp);
/* Appends s[0..len) to out as plain text for a terminal or a one-line log: every unsafe character
 * (util_char_unsafe) becomes a space and every byte that is not UTF-8 a '?'. Characters are
 * appended whole, so when out reaches its cap (ERR_LIMIT) it ends on a character boundary.
 * Returns 0, ERR_NOMEM or ERR_LIMIT. */
int util_put_clean(struct buf *out, const char *s, size_t len);
/* Appends the step of a JSON path to a member: ".key" for a key of letters, digits and '_', else
 * ["key"] (printable, as util_put_clean writes it). Returns 0 or the buffer's error. */
int util_put_path_key(struct buf *out, const char *key, size_t len);
/* The length of the JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) at the
 * start of s[0..n), or 0. "1." is the number "1" followed by a '.', which is no part of it. */
size_t util_json_number_len(const char *s, size_t n);
/* The value of the four hex digits of a JSON \u escape at p (before end), or -1. */
long util_hex4(const char *p, const char *end);
/* Writes code point cp (at most U+10FFFF) as UTF-8 into out; returns its length, 1 to 4. */
size_t util_utf8_encode(unsigned long cp, char out[4]);
/* The line and column (both from 1) of offset off in data[0..len), for messages. */
void util_line_col(const char *data, size_t off, size_t len, size_t *line, size_t *col);

/* Ids compare equal when they differ only in dashes and letter case: the API shows the same id as
 * a UUID in one place and as 32 hex digits in another. */
bool util_same_id(const char *a, const char *b);
/* Milliseconds of the monotonic clock (for deadlines and durations, not the time of day). */
long long util_now_ms(void);
/* Microseconds of the same clock (for the -v timings). */
long long util_now_us(void);

/* True for ids that may go into a URL path: letters, digits, '-', '_', '.', 1..64 bytes, and not
 * "." or "..". */
bool util_url_id(const char *id);
/* The form of id that util_same_id compares (lower case, no dashes) into out[size]; false when it
 * does not fit. Two ids are the same exactly when their keys are equal. */
bool util_id_key(const char *id, char *out, size_t size);

/* Case-insensitive substring search (ASCII). */
bool util_contains_ci(const char *haystack, const char *needle);

#endif
