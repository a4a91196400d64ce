/*
 * Starting and stopping the simulator (tests/sim/sdrs_sim.py) from C tests, and talking to its
 * control API (/__sim/...) over a plain socket, independently of the client under test.
 *
 * Ownership: struct simproc is caller storage; simproc_start fills it and simproc_stop releases
 * what it holds (and is a no-op on a zeroed or stopped one). Output buffers are caller-owned and
 * appended to. The simulator dies with the process that started it (PR_SET_PDEATHSIG), so a
 * failing forked Check test cannot leak one.
 */
#ifndef SDRS_SIMPROC_H
#define SDRS_SIMPROC_H

#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct simproc {
    pid_t pid; /* 0 when not running */
    int port;
    char url[64];  /* "http://127.0.0.1:PORT", no trailing slash */
    char dir[256]; /* holds sim.port, sim.log (JSON lines) and sim.stderr */
    int tls;       /* 1 when serving HTTPS */
};

/* Starts `python3 tests/sim/sdrs_sim.py --scenario SCENARIO --port-file DIR/sim.port --log
 * DIR/sim.log` on port 0 with stdout and stderr in DIR/sim.stderr, and waits (up to 10 s) for the
 * port file. DIR must exist. Returns 0, or ERR_IO with the simulator's stderr in the message. */
int simproc_start(struct simproc *s, const char *scenario, const char *dir, struct err *e);

/* The same over HTTPS with the given PEM certificate chain and key (url is "https://..."). The
 * control functions below speak plain HTTP only: for such a simulator read DIR/sim.log. */
int simproc_start_tls(struct simproc *s, const char *scenario, const char *dir, const char *cert,
                      const char *key, struct err *e);

/* SIGTERM, then SIGKILL after 5 s; reaps the child. */
void simproc_stop(struct simproc *s);

/* One control request (method "GET" or "POST", name such as "requests" or "faults", JSON body or
 * NULL); appends the response body to out. Returns 0, ERR_NET, or ERR_API for a non-200 status. */
int simproc_control(const struct simproc *s, const char *method, const char *name, const char *json,
                    struct buf *out, struct err *e);

/* The request log (GET /__sim/requests): a JSON array, appended to out. */
int simproc_requests(const struct simproc *s, struct buf *out, struct err *e);

/* A port on 127.0.0.1 that nothing listens on (bound, then closed), or -1. */
int simproc_closed_port(void);

#endif
