#define HTTP_CURL_NO_MACROS
#include "http_curl.h"

#include <dlfcn.h>
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
    void *lib = dlopen(SDRS_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    struct http_curl t;

    if (!lib) {
        snprintf(load_error, sizeof load_error, "cannot load libcurl (%s): %s", SDRS_CURL_SONAME,
                 dlerror());
        return;
    }
#define HTTP_CURL_RESOLVE(name)                                                                    \
    if (!(*(void **)&t.name = dlsym(lib, #name))) {                                                \
        snprintf(load_error, sizeof load_error,                                                    \
                 "libcurl (%s) lacks %s: it is older than this "                                   \
                 "build needs",                                                                    \
                 SDRS_CURL_SONAME, #name);                                                         \
        dlclose(lib);                                                                              \
        return;                                                                                    \
    }
    HTTP_CURL_FUNCTIONS(HTTP_CURL_RESOLVE)
#undef HTTP_CURL_RESOLVE
    http_curl = t; /* the library stays loaded until the process ends */
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
