/* The execution state machine against a fake SDRS: scripted group reads, POST answers and job
 * polls on a fake clock. Every case asserts the outcome, the message and how many POSTs went out.
 */
#include "testutil.h"

#include "execute.h"

#include <stdio.h>
#include <string.h>

#define MAX_STEPS 16

/* What the fake answers, in order; the last entry repeats. */
struct fake {
    struct api_group_state groups[MAX_STEPS]; /* status "" = the read fails */
    size_t ngroups, group_reads;
    struct api_post post;
    int post_rc;                    /* not submitted */
    struct api_job jobs[MAX_STEPS]; /* status "" = the poll fails */
    size_t njobs, job_reads;
    int posts;
    char post_key[64], post_station[16];
    long long clock_ms;
    long slept_ms;
};

static int fake_read_group(void *ud, struct api_group_state *out, struct err *e)
{
    struct fake *f = ud;
    size_t i = f->group_reads < f->ngroups ? f->group_reads : f->ngroups - 1;

    f->group_reads++;
    if (!f->groups[i].status[0])
        return err_set(e, ERR_NET, "GET group: timeout");
    *out = f->groups[i];
    return 0;
}

static int fake_post(void *ud, const char *key, const char *station, struct api_post *out,
                     struct err *e)
{
    struct fake *f = ud;

    if (f->post_rc)
        return err_set(e, f->post_rc, "cannot send");
    f->posts++;
    snprintf(f->post_key, sizeof f->post_key, "%s", key);
    snprintf(f->post_station, sizeof f->post_station, "%s", station ? station : "");
    *out = f->post;
    return 0;
}

static int fake_read_job(void *ud, const char *job_id, struct api_job *out, struct err *e)
{
    struct fake *f = ud;
    size_t i = f->job_reads < f->njobs ? f->job_reads : f->njobs - 1;

    (void)job_id;
    f->job_reads++;
    if (!f->jobs[i].status[0])
        return err_set(e, ERR_NET, "GET job: HTTP 503 after 4 tries");
    *out = f->jobs[i];
    return 0;
}

static long long fake_now(void *ud)
{
    return ((struct fake *)ud)->clock_ms;
}

static void fake_sleep(void *ud, long ms)
{
    struct fake *f = ud;

    f->clock_ms += ms;
    f->slept_ms += ms;
}

static struct exec_ops ops_of(struct fake *f)
{
    return (struct exec_ops){f, fake_read_group, fake_post, fake_read_job, fake_now, fake_sleep};
}

static struct api_job job(const char *status, enum vocab_class cls)
{
    struct api_job j = {.cls = cls};
    snprintf(j.status, sizeof j.status, "%s", status);
    return j;
}

static struct api_group_state group(const char *status, const char *station)
{
    struct api_group_state g;
    snprintf(g.status, sizeof g.status, "%s", status);
    snprintf(g.station, sizeof g.station, "%s", station);
    return g;
}

static const struct exec_opts OPTS = {
    .poll_interval_ms = 5000, .job_timeout_ms = 60000, .accept_window_ms = 20000};

static struct exec_result run(struct fake *f, const char *action, const char *station)
{
    struct exec_ops ops = ops_of(f);
    struct exec_result res;
    struct err e = {0};

    ck_assert_msg(execute_run(&ops, action, station, "protected", &OPTS, &res, &e) == 0, "%s",
                  e.msg);
    return res;
}

START_TEST(accepted_job_succeeds)
{
    struct fake f = {.post = {.kind = API_POST_ACCEPTED, .job_id = "j1"}};
    struct exec_result r;

    f.jobs[0] = job("INIT", VOCAB_PROGRESS);
    f.jobs[1] = job("RUNNING", VOCAB_PROGRESS);
    f.jobs[2] = job("SUCCESS", VOCAB_FINE);
    f.njobs = 3;
    f.groups[0] = group("failed-over", "target");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_SUCCESS);
    ck_assert_int_eq(f.posts, 1);
    ck_assert_str_eq(f.post_key, "failover-server-group");
    ck_assert_str_eq(f.post_station, "");
    ck_assert_uint_eq(f.job_reads, 3);
    ck_assert_str_eq(r.status_after, "failed-over");
    ck_assert_ptr_nonnull(strstr(r.message, "failover finished: the group is now failed-over"));
    ck_assert_int_eq(r.elapsed_ms, 15000); /* three polls, five seconds apart, on the fake clock */
}
END_TEST

START_TEST(planned_failover_names_the_other_side)
{
    struct fake f = {.post = {.kind = API_POST_ACCEPTED, .job_id = "j1"}};
    struct exec_ops ops = ops_of(&f);
    struct exec_result r;
    struct err e = {0};

    f.jobs[0] = job("SUCCESS", VOCAB_FINE);
    f.njobs = 1;
    f.groups[0] = group("protected", "source"); /* the station did not change */
    f.ngroups = 1;
    r = run(&f, "planned-failover", "source");
    ck_assert_str_eq(f.post_key, "reverse-server-group");
    ck_assert_str_eq(f.post_station, "target");
    ck_assert_ptr_nonnull(strstr(r.message, "priority_station did not change"));
    /* without a known station nothing is sent */
    f.posts = 0;
    ck_assert_int_eq(execute_run(&ops, "planned-failover", "elsewhere", "protected", &OPTS, &r, &e),
                     ERR_INVALID);
    ck_assert_int_eq(f.posts, 0);
    ck_assert_int_eq(execute_run(&ops, "drill", "source", "protected", &OPTS, &r, &e), ERR_INVALID);
    ck_assert_int_eq(f.posts, 0);
}
END_TEST

START_TEST(failed_job_names_the_reason)
{
    struct fake f = {.post = {.kind = API_POST_ACCEPTED, .job_id = "j1"}};
    struct exec_result r;

    f.jobs[0] = job("FAIL", VOCAB_BLOCKS);
    snprintf(f.jobs[0].error_code, sizeof f.jobs[0].error_code, "SDRS.1030");
    snprintf(f.jobs[0].fail_reason, sizeof f.jobs[0].fail_reason, "Failed to perform the failover");
    f.njobs = 1;
    f.groups[0] = group("error-failing-over", "source");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_FAILED);
    ck_assert_ptr_nonnull(strstr(r.message, "SDRS.1030: Failed to perform the failover"));
    ck_assert_ptr_nonnull(strstr(r.message, "now error-failing-over"));
}
END_TEST

START_TEST(undocumented_job_status_is_not_success)
{
    struct fake f = {.post = {.kind = API_POST_ACCEPTED, .job_id = "j1"}};
    struct exec_result r;

    f.jobs[0] = job("SUCCESSFUL", VOCAB_UNRECOGNISED);
    f.njobs = 1;
    f.groups[0] = group("failing-over", "source");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(r.message, "\"SUCCESSFUL\", which the documentation does not"));
    ck_assert_int_eq(f.posts, 1);
}
END_TEST

START_TEST(failed_polls_go_on_until_the_timeout)
{
    struct fake f = {.post = {.kind = API_POST_ACCEPTED, .job_id = "j1"}};
    struct exec_result r;

    f.jobs[0] = job("", VOCAB_UNRECOGNISED); /* every poll fails */
    f.njobs = 1;
    f.groups[0] = group("failing-over", "source");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_TIMEOUT);
    ck_assert_int_eq(r.elapsed_ms, 60000);
    ck_assert_uint_eq(f.job_reads, 12);
    ck_assert_ptr_nonnull(strstr(r.message, "did not finish within the job timeout"));
    ck_assert_int_eq(f.posts, 1);
}
END_TEST

/* SDRS's own refusal, confirmed by one read of the group; a POST that never left. */
START_TEST(refused_and_not_sent)
{
    struct fake f = {.post = {.kind = API_POST_REFUSED, .status = 400, .code = "SDRS.1002"}};
    struct exec_result r;

    snprintf(f.post.detail, sizeof f.post.detail, "SDRS.1002: Operation not allowed");
    f.groups[0] = group("protected", "source");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_REFUSED);
    ck_assert_str_eq(r.error_code, "SDRS.1002");
    ck_assert_uint_eq(f.job_reads, 0);
    ck_assert_uint_eq(f.group_reads, 1);
    ck_assert_msg(strstr(r.message, "SDRS refused failover (HTTP 400, SDRS.1002") &&
                      strstr(r.message, "the group shows protected, production at source"),
                  "%s", r.message);
    ck_assert_ptr_null(strstr(r.message, "nothing was started"));
    /* a refusal while the group moves anyway is followed, not believed */
    f = (struct fake){.post = {.kind = API_POST_REFUSED, .status = 409, .code = "SDRS.1030"}};
    f.groups[0] = group("failing-over", "source");
    f.groups[1] = group("failed-over", "target");
    f.ngroups = 2;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_SUCCESS);
    ck_assert_int_eq(f.posts, 1);

    f = (struct fake){.post = {.kind = API_POST_NOT_SENT}};
    f.groups[0] = group("protected", "source");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_NOT_SENT);
    ck_assert_uint_eq(f.group_reads, 0);
}
END_TEST

/* Every answer that does not say whether SDRS took the action: the group tells, stale reads only
 * mean "not yet", and the POST is never repeated. */
START_TEST(unclear_answers_are_resolved_by_the_group)
{
    static const enum api_post_kind kinds[] = {API_POST_UNCLEAR, API_POST_NO_ANSWER,
                                               API_POST_NO_JOB};

    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct fake f = {.post = {.kind = kinds[k], .status = 504}};
        struct exec_result r;

        /* two stale reads, then the failover shows */
        f.groups[0] = group("protected", "source");
        f.groups[1] = group("protected", "source");
        f.groups[2] = group("failing-over", "source");
        f.groups[3] = group("failed-over", "target");
        f.ngroups = 4;
        r = run(&f, "failover", "source");
        ck_assert_msg(r.outcome == EXEC_SUCCESS, "kind %zu: %s", k, r.message);
        ck_assert_int_eq(f.posts, 1);
        ck_assert_str_eq(r.status_after, "failed-over");
        /* the group never moves: not seen to start, never "nothing was started" */
        f = (struct fake){.post = {.kind = kinds[k], .status = 504}};
        f.groups[0] = group("protected", "source");
        f.ngroups = 1;
        r = run(&f, "failover", "source");
        ck_assert_int_eq(r.outcome, EXEC_NOT_SEEN);
        ck_assert_msg(strstr(r.message, "failover was not seen to start within 20 s") &&
                          strstr(r.message, "It was not sent again, and SDRS may still start it"),
                      "%s", r.message);
        ck_assert_ptr_null(strstr(r.message, "nothing"));
        ck_assert_int_eq(f.slept_ms, 20000);
        ck_assert_uint_eq(f.group_reads, 5); /* at 0, 5, 10, 15 and 20 s */
        ck_assert_int_eq(f.posts, 1);
    }
}
END_TEST

START_TEST(unreadable_or_elsewhere_is_unknown)
{
    struct fake f = {.post = {.kind = API_POST_NO_ANSWER}};
    struct exec_result r;

    f.groups[0] = group("", "");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_NOT_SEEN);
    ck_assert_msg(strstr(r.message, "the group could not be read") &&
                      strstr(r.message, "It was not sent again"),
                  "%s", r.message);
    ck_assert_int_eq(f.posts, 1);
    /* a status the action does not lead to */
    f = (struct fake){.post = {.kind = API_POST_UNCLEAR, .status = 500}};
    f.groups[0] = group("stopping", "source");
    f.ngroups = 1;
    r = run(&f, "failover", "source");
    ck_assert_int_eq(r.outcome, EXEC_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(r.message, "the group is now stopping"));
}
END_TEST

START_TEST(not_submitted_sends_nothing)
{
    struct fake f = {.post_rc = ERR_NOMEM};
    struct exec_ops ops = ops_of(&f);
    struct exec_result r;
    struct err e = {0};

    ck_assert_int_eq(execute_run(&ops, "failover", "source", "protected", &OPTS, &r, &e),
                     ERR_NOMEM);
    ck_assert_int_eq(f.posts, 0);
    ck_assert_int_eq(r.posts, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("execute");
    TCase *tc = tcase_create("state machine");

    tcase_add_test(tc, accepted_job_succeeds);
    tcase_add_test(tc, planned_failover_names_the_other_side);
    tcase_add_test(tc, failed_job_names_the_reason);
    tcase_add_test(tc, undocumented_job_status_is_not_success);
    tcase_add_test(tc, failed_polls_go_on_until_the_timeout);
    tcase_add_test(tc, refused_and_not_sent);
    tcase_add_test(tc, unclear_answers_are_resolved_by_the_group);
    tcase_add_test(tc, unreadable_or_elsewhere_is_unknown);
    tcase_add_test(tc, not_submitted_sends_nothing);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
