/*
 * libcurl, loaded when the first request is about to be made (http_curl_load), not when the program
 * starts. libcurl brings some thirty libraries with it (TLS, LDAP, SSH, Kerberos, IDN, ...), and
 * mapping and relocating them took 8.5 of the 15 ms a command needed to start, on every command:
 * an offline check, which never talks to a server, paid it too. The http layer calls curl through
 * the table below; the macros keep its code written as plain curl calls. (systemd loads its
 * optional libraries the same way.)
 *
 * Only the http layer includes this header. The table has one pointer per curl function the layer
 * uses: a new call needs a row here and in http_curl.c.
 */
#ifndef SDRS_HTTP_CURL_H
#define SDRS_HTTP_CURL_H

/* the calls go through pointers: curl's type-checking macros would name the functions themselves */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "err.h"

#include <stdbool.h>

#define HTTP_CURL_FUNCTIONS(X)                                                                     \
    X(curl_global_init)                                                                            \
    X(curl_global_cleanup)                                                                         \
    X(curl_easy_init)                                                                              \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_strerror)                                                                          \
    X(curl_multi_init)                                                                             \
    X(curl_multi_setopt)                                                                           \
    X(curl_multi_add_handle)                                                                       \
    X(curl_multi_remove_handle)                                                                    \
    X(curl_multi_perform)                                                                          \
    X(curl_multi_poll)                                                                             \
    X(curl_multi_timeout)                                                                          \
    X(curl_multi_info_read)                                                                        \
    X(curl_multi_strerror)                                                                         \
    X(curl_multi_cleanup)                                                                          \
    X(curl_share_init)                                                                             \
    X(curl_share_setopt)                                                                           \
    X(curl_share_cleanup)                                                                          \
    X(curl_slist_append)                                                                           \
    X(curl_slist_free_all)                                                                         \
    X(curl_url)                                                                                    \
    X(curl_url_set)                                                                                \
    X(curl_url_get)                                                                                \
    X(curl_url_cleanup)                                                                            \
    X(curl_free)

#define HTTP_CURL_MEMBER(name) __typeof__(name) *name;
struct http_curl {
    HTTP_CURL_FUNCTIONS(HTTP_CURL_MEMBER)
};
#undef HTTP_CURL_MEMBER

extern struct http_curl http_curl;

/* Loads libcurl (once; later calls return at once). Returns 0, or ERR_NET with a message that says
 * which library could not be loaded and what to install. */
int http_curl_load(struct err *e);
/* True once http_curl_load has succeeded. */
bool http_curl_loaded(void);

#ifndef HTTP_CURL_NO_MACROS /* http_curl.c fills the table under the functions' own names */
#undef curl_easy_setopt     /* curl.h's macros that check the argument count */
#undef curl_easy_getinfo
#undef curl_multi_setopt
#undef curl_share_setopt
#define curl_global_init         (*http_curl.curl_global_init)
#define curl_global_cleanup      (*http_curl.curl_global_cleanup)
#define curl_easy_init           (*http_curl.curl_easy_init)
#define curl_easy_setopt         (*http_curl.curl_easy_setopt)
#define curl_easy_getinfo        (*http_curl.curl_easy_getinfo)
#define curl_easy_cleanup        (*http_curl.curl_easy_cleanup)
#define curl_easy_strerror       (*http_curl.curl_easy_strerror)
#define curl_multi_init          (*http_curl.curl_multi_init)
#define curl_multi_setopt        (*http_curl.curl_multi_setopt)
#define curl_multi_add_handle    (*http_curl.curl_multi_add_handle)
#define curl_multi_remove_handle (*http_curl.curl_multi_remove_handle)
#define curl_multi_perform       (*http_curl.curl_multi_perform)
#define curl_multi_poll          (*http_curl.curl_multi_poll)
#define curl_multi_timeout       (*http_curl.curl_multi_timeout)
#define curl_multi_info_read     (*http_curl.curl_multi_info_read)
#define curl_multi_strerror      (*http_curl.curl_multi_strerror)
#define curl_multi_cleanup       (*http_curl.curl_multi_cleanup)
#define curl_share_init          (*http_curl.curl_share_init)
#define curl_share_setopt        (*http_curl.curl_share_setopt)
#define curl_share_cleanup       (*http_curl.curl_share_cleanup)
#define curl_slist_append        (*http_curl.curl_slist_append)
#define curl_slist_free_all      (*http_curl.curl_slist_free_all)
#define curl_url                 (*http_curl.curl_url)
#define curl_url_set             (*http_curl.curl_url_set)
#define curl_url_get             (*http_curl.curl_url_get)
#define curl_url_cleanup         (*http_curl.curl_url_cleanup)
#define curl_free                (*http_curl.curl_free)
#endif

#endif
