#define HTTP_CURL_NO_MACROS
#include "http_curl.h"

#include "util.h"

#include <pthread.h>
#include <stdio.h>

/* the soname the build was linked against (CMakeLists.txt reads it from the library) */
#ifndef SDRS_CURL_SONAME
#define SDRS_CURL_SONAME "libcurl.so.4"
#endif

struct http_curl http_curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];

static void load(void)
{
#define HTTP_CURL_NAME(name) #name,
#define HTTP_CURL_SLOT(name) (void **)&t.name,
    static const char *const names[] = {HTTP_CURL_FUNCTIONS(HTTP_CURL_NAME)};
    struct http_curl t;
    void **const slots[] = {HTTP_CURL_FUNCTIONS(HTTP_CURL_SLOT)};
#undef HTTP_CURL_NAME
#undef HTTP_CURL_SLOT

    if (util_dl_table(SDRS_CURL_SONAME, names, slots, sizeof names / sizeof *names, load_error,
                      sizeof load_error) == 0)
        http_curl = t; /* else load_error says why */
}

bool http_curl_loaded(void)
{
    return http_curl.curl_global_init != NULL;
}

int http_curl_load(struct err *e)
{
    pthread_once(&once, load);
    if (load_error[0])
        return err_set(e, ERR_NET, "%s; install it (Debian: apt-get install libcurl4)", load_error);
    return 0;
}
