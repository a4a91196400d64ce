#include "simproc.h"

#include "testutil.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIMPROC_START_MS 10000
#define SIMPROC_STOP_MS  5000

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The tail of DIR/sim.stderr, for error messages. */
static void stderr_tail(const struct simproc *s, char *out, size_t size)
{
    char path[300];
    struct buf b;
    const char *p;

    out[0] = '\0';
    snprintf(path, sizeof path, "%s/sim.stderr", s->dir);
    buf_init(&b, 0);
    if (util_read_file(path, 1 << 20, &b, NULL) == 0) {
        p = b.len > size - 1 ? b.data + b.len - (size - 1) : buf_str(&b);
        snprintf(out, size, "%s", p);
    }
    buf_free(&b);
}

static void child_exec(const char *script, const char *scenario, const char *port_file,
                       const char *log, const char *err_file, const char *cert, const char *key)
{
    int fd;

    /* Die with the test process, even when a failed Check assertion ends it early. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 0);
        close(fd);
    }
    fd = open(err_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    if (cert)
        execlp("python3", "python3", script, "--scenario", scenario, "--port-file", port_file,
               "--log", log, "--tls-cert", cert, "--tls-key", key, (char *)NULL);
    else
        execlp("python3", "python3", script, "--scenario", scenario, "--port-file", port_file,
               "--log", log, (char *)NULL);
    _exit(127);
}

static int start(struct simproc *s, const char *scenario, const char *dir, const char *cert,
                 const char *key, struct err *e)
{
    char port_file[300], log[300], err_file[300], tail[400];
    char *script = tu_src_path("tests/sim/sdrs_sim.py");
    pid_t pid;
    int rc = 0;

    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(port_file, sizeof port_file, "%s/sim.port", dir);
    snprintf(log, sizeof log, "%s/sim.log", dir);
    snprintf(err_file, sizeof err_file, "%s/sim.stderr", dir);
    unlink(port_file);
    pid = fork();
    if (pid < 0) {
        free(script);
        return err_set(e, ERR_IO, "cannot fork: %s", strerror(errno));
    }
    if (pid == 0)
        child_exec(script, scenario, port_file, log, err_file, cert, key);
    free(script);
    s->pid = pid;
    s->tls = cert != NULL;

    for (long waited = 0;; waited += 20) {
        struct buf b;
        long long port;
        int status;

        buf_init(&b, 64);
        if (util_read_file(port_file, 64, &b, NULL) == 0 && util_parse_int(b.data, &port) &&
            port > 0 && port < 65536) {
            buf_free(&b);
            s->port = (int)port;
            snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d", s->tls ? "https" : "http",
                     s->port);
            return 0;
        }
        buf_free(&b);
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            stderr_tail(s, tail, sizeof tail);
            rc = err_set(e, ERR_IO, "simulator exited before listening (status %d): %s",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
            break;
        }
        if (waited >= SIMPROC_START_MS) {
            stderr_tail(s, tail, sizeof tail);
            simproc_stop(s);
            rc = err_set(e, ERR_IO, "simulator did not listen within %d ms: %s", SIMPROC_START_MS,
                         tail);
            break;
        }
        sleep_ms(20);
    }
    return rc;
}

int simproc_start(struct simproc *s, const char *scenario, const char *dir, struct err *e)
{
    return start(s, scenario, dir, NULL, NULL, e);
}

int simproc_start_tls(struct simproc *s, const char *scenario, const char *dir, const char *cert,
                      const char *key, struct err *e)
{
    return start(s, scenario, dir, cert, key, e);
}

void simproc_stop(struct simproc *s)
{
    int status;

    if (!s || s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (long waited = 0; waited < SIMPROC_STOP_MS; waited += 10) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        sleep_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
}

int simproc_control(const struct simproc *s, const char *method, const char *name, const char *json,
                    struct buf *out, struct err *e)
{
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    struct buf req, resp;
    size_t off = 0;
    const char *body;
    int fd, status = 0, rc = 0;

    if (s->tls)
        return err_set(e, ERR_INVALID,
                       "the simulator's control API is reached over plain HTTP only");
    buf_init(&req, 0);
    buf_init(&resp, 64 << 20);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return err_set(e, ERR_NET, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)s->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        rc = err_set(e, ERR_NET, "cannot connect to the simulator: %s", strerror(errno));
        goto out;
    }
    if (buf_printf(&req,
                   "%s /__sim/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   method, name, s->port, json ? strlen(json) : 0, json ? json : "")) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    while (off < req.len) {
        ssize_t n = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);

        if (n <= 0) {
            rc = err_set(e, ERR_NET, "cannot send to the simulator: %s", strerror(errno));
            goto out;
        }
        off += (size_t)n;
    }
    for (;;) {
        char chunk[16384];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);

        if (n == 0)
            break;
        if (n < 0) {
            rc = err_set(e, ERR_NET, "cannot read from the simulator: %s", strerror(errno));
            goto out;
        }
        if (buf_add(&resp, chunk, (size_t)n)) {
            rc = err_set(e, ERR_LIMIT, "simulator answer too large");
            goto out;
        }
    }
    body = strstr(buf_str(&resp), "\r\n\r\n");
    if (sscanf(buf_str(&resp), "HTTP/1.%*d %d", &status) != 1 || !body) {
        rc = err_set(e, ERR_NET, "not an HTTP answer from the simulator");
        goto out;
    }
    body += 4;
    if (out && buf_add(out, body, resp.len - (size_t)(body - resp.data))) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (status != 200)
        rc = err_set(e, ERR_API, "simulator answered %d to %s /__sim/%s: %s", status, method, name,
                     body);
out:
    close(fd);
    buf_free(&req);
    buf_free(&resp);
    return rc;
}

int simproc_requests(const struct simproc *s, struct buf *out, struct err *e)
{
    return simproc_control(s, "GET", "requests", NULL, out, e);
}

int simproc_closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}
