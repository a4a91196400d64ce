/* --format junit: JUnit XML for CI test reports (Jenkins, GitLab, dorny/test-reporter,
 * mikepenz/action-junit-report).
 *
 * One <testsuite> inside a <testsuites> root. Each rule is a <testcase>: fail becomes <failure>,
 * error <error>, skipped and waived <skipped>; warn and info pass with their findings in
 * <system-out> (with --fail-on warning, warn is a <failure> too, so CI agrees with the verdict).
 * Problems that belong to no rule (snapshot, fetch) become one more testcase named "snapshot", with
 * an <error>; expired waivers for the group (they make the verdict NO-GO) one named "waivers", with
 * a <failure>.
 * Every text is escaped, and characters XML 1.0 does not allow become U+FFFD, so rule-supplied text
 * cannot break the document. There are no timings: time is "0" and the timestamp is generated_at.
 */
#include "report.h"
#include "report_exec.h"
#include "textout.h"

#include "version.h"

#include <stdarg.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* True for a multi-byte character XML should not carry: of the one list of util_char_unsafe, C1
 * controls, the bidi controls and line separators (allowed, but acted on by viewers) and the
 * non-characters U+FEFF, U+FFFE and U+FFFF. */
static bool unwanted(const unsigned char *p, size_t n)
{
    unsigned long cp;

    return util_utf8_next((const char *)p, n, &cp) == n && util_char_unsafe(cp);
}

/* Where put_xml writes: character data, an attribute value, or a name attribute (one line). */
enum xml_ctx { XML_TEXT, XML_ATTR, XML_NAME };

/* Appends s (NULL as "") escaped for ctx. Markup characters become entities; control characters
 * other than tab and line breaks, DEL, the unsafe characters of util_char_unsafe and bytes that
 * are not UTF-8 become U+FFFD. In attribute values tab and line breaks become character references,
 * which attribute normalisation keeps; in names they become spaces. */
static void put_xml(struct textout *o, const char *s, enum xml_ctx ctx)
{
    for (const char *p = s ? s : ""; *p && !o->rc;) {
        unsigned char c = (unsigned char)*p;
        size_t n = util_utf8_len(p);
        const char *rep = NULL;

        if (n == 0) {
            rep = REPLACEMENT;
            n = 1;
        } else if (n > 1) {
            rep = unwanted((const unsigned char *)p, n) ? REPLACEMENT : NULL;
        } else if (c == '&') {
            rep = "&amp;";
        } else if (c == '<') {
            rep = "&lt;";
        } else if (c == '>') {
            rep = "&gt;";
        } else if (c == '"') {
            rep = "&quot;";
        } else if (c == '\'') {
            rep = "&apos;";
        } else if (c == '\t' || c == '\n' || c == '\r') {
            if (ctx == XML_NAME)
                rep = " ";
            else if (ctx == XML_ATTR || c == '\r')
                rep = c == '\t' ? "&#9;" : c == '\n' ? "&#10;" : "&#13;";
        } else if (c < 0x20 || c == 0x7f) {
            rep = REPLACEMENT;
        }
        if (rep)
            textout_put(o, rep);
        else
            o->rc = buf_add(o->b, p, n);
        p += n;
    }
}

/* name="value" with a leading space, on one line. */
static void put_attr(struct textout *o, const char *name, const char *value)
{
    textout_putf(o, " %s=\"", name);
    put_xml(o, value, XML_NAME);
    textout_put(o, "\"");
}

static void put_attr_count(struct textout *o, const char *name, size_t n)
{
    textout_putf(o, " %s=\"%zu\"", name, n);
}

/* The evidence value as text ("true", "5", "0.25", or the string). */
/* An evidence string as XML text. */
static void put_xml_text(struct textout *o, const char *s)
{
    put_xml(o, s, XML_TEXT);
}

static void put_evidence(struct textout *o, const struct evidence *ev)
{
    textout_put(o, "  ");
    put_xml(o, ev->key, XML_TEXT);
    textout_put(o, ": ");
    textout_evidence(o, ev, put_xml_text);
    textout_put(o, "\n");
}

/* One finding as character data: "[FAIL] message", then "  key: value" lines for the resource and
 * the evidence (observed and expected first). */
static void put_finding(struct textout *o, const struct finding *f)
{
    static const char *const tags[] = {"[INFO] ", "[WARN] ", "[FAIL] ", "[ERROR] "};
    static const char *const first[] = {"observed", "expected"};

    textout_put(o, tags[f->level]);
    put_xml(o, f->message, XML_TEXT);
    textout_put(o, "\n");
    if (f->resource) {
        textout_put(o, "  resource: ");
        put_xml(o, f->resource, XML_TEXT);
        textout_put(o, "\n");
    }
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < f->nev; i++)
            if (strcmp(f->ev[i].key, first[k]) == 0)
                put_evidence(o, &f->ev[i]);
    for (size_t i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].key, first[0]) && strcmp(f->ev[i].key, first[1]))
            put_evidence(o, &f->ev[i]);
}

/* The body of a <failure>, <error> or <system-out>: the rule error, every finding, the
 * remediation and the docs. */
static void put_details(struct textout *o, const struct rule_result *res, bool fix)
{
    if (res->result == RESULT_WAIVED && res->waiver) {
        textout_put(o, "waived: ");
        put_xml(o, res->waiver, XML_TEXT);
        textout_put(o, "\n");
    }
    if (res->error) {
        textout_put(o, "[ERROR] ");
        put_xml(o, res->error, XML_TEXT);
        textout_put(o, "\n");
    }
    for (size_t i = 0; i < res->nfindings; i++)
        put_finding(o, &res->findings[i]);
    if (fix && res->meta.remediation) {
        textout_put(o, "fix: ");
        put_xml(o, res->meta.remediation, XML_TEXT);
        textout_put(o, "\n");
    }
    if (fix && res->meta.docs) {
        textout_put(o, "docs: ");
        put_xml(o, res->meta.docs, XML_TEXT);
        textout_put(o, "\n");
    }
}

/* The first finding at lvl, or NULL. */
static const struct finding *first_at(const struct rule_result *res, enum level lvl)
{
    for (size_t i = 0; i < res->nfindings; i++)
        if (res->findings[i].level == lvl)
            return &res->findings[i];
    return NULL;
}

/* <failure> or <error> with a message attribute, the severity as type, and the details. */
static void put_problem(struct textout *o, const char *element, const char *prefix,
                        const char *message, const struct rule_result *res)
{
    textout_putf(o, "      <%s message=\"", element);
    put_xml(o, prefix, XML_ATTR);
    put_xml(o, message, XML_ATTR);
    textout_put(o, "\"");
    put_attr(o, "type", severity_name(res->meta.severity));
    textout_put(o, ">");
    put_details(o, res, true);
    textout_putf(o, "</%s>\n", element);
}

static void put_testcase(struct textout *o, const struct rule_result *res, const char *classname,
                         const struct report *r)
{
    const struct finding *f;
    bool passed = res->result == RESULT_PASS || res->result == RESULT_INFO ||
                  (res->result == RESULT_WARN && !r->fail_on_warning);

    textout_put(o, "    <testcase name=\"");
    put_xml(o, res->meta.id, XML_NAME);
    textout_put(o, " ");
    put_xml(o, res->meta.title, XML_NAME);
    textout_put(o, "\"");
    put_attr(o, "classname", classname);
    textout_put(o, " time=\"0\"");
    if (passed && !res->nfindings) {
        textout_put(o, "/>\n");
        return;
    }
    textout_put(o, ">\n");
    switch (res->result) {
    case RESULT_FAIL:
        f = first_at(res, LEVEL_FAIL);
        put_problem(o, "failure", "", f ? f->message : res->meta.title, res);
        break;
    case RESULT_ERROR:
        f = first_at(res, LEVEL_ERROR);
        if (res->error)
            put_problem(o, "error", "", res->error, res);
        else
            put_problem(o, "error", "could not decide: ", f ? f->message : res->meta.title, res);
        break;
    case RESULT_SKIPPED:
        textout_put(o, "      <skipped");
        put_attr(o, "message", res->skip_reason ? res->skip_reason : "skipped");
        textout_put(o, "/>\n");
        break;
    case RESULT_WAIVED:
        textout_put(o, "      <skipped message=\"waived: ");
        put_xml(o, res->waiver ? res->waiver : "no reason given", XML_ATTR);
        textout_put(o, "\"/>\n");
        if (res->nfindings) {
            textout_put(o, "      <system-out>");
            put_details(o, res, false);
            textout_put(o, "</system-out>\n");
        }
        break;
    case RESULT_WARN:
        if (!passed) {
            f = first_at(res, LEVEL_WARN);
            put_problem(o, "failure",
                        "warning (--fail-on warning): ", f ? f->message : res->meta.title, res);
            break;
        }
        /* fall through */
    case RESULT_PASS:
    case RESULT_INFO:
        textout_put(o, "      <system-out>");
        put_details(o, res, res->result == RESULT_WARN);
        textout_put(o, "</system-out>\n");
        break;
    case RESULT_KIND_COUNT:
        break;
    }
    textout_put(o, "    </testcase>\n");
}

static bool is_rule_problem(const struct problem *p)
{
    return p->kind && strcmp(p->kind, "rule") == 0;
}

static size_t count_other_problems(const struct report *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->errors.n; i++)
        n += !is_rule_problem(&r->errors.items[i]);
    return n;
}

static void put_problem_line(struct textout *o, const struct problem *p, enum xml_ctx ctx)
{
    put_xml(o, p->kind, ctx);
    if (p->where && *p->where) {
        textout_put(o, " ");
        put_xml(o, p->where, ctx);
    }
    textout_put(o, ": ");
    put_xml(o, p->message, ctx);
}

/* The "snapshot" testcase: every problem that made the verdict INDETERMINATE outside the rules. */
static void put_snapshot_case(struct textout *o, const struct report *r, const char *classname,
                              size_t n)
{
    bool first = true;

    textout_put(o, "    <testcase name=\"snapshot\"");
    put_attr(o, "classname", classname);
    textout_put(o, " time=\"0\">\n      <error message=\"");
    for (size_t i = 0; i < r->errors.n; i++)
        if (!is_rule_problem(&r->errors.items[i]) && first) {
            put_problem_line(o, &r->errors.items[i], XML_ATTR);
            first = false;
        }
    if (n > 1)
        textout_putf(o, " (and %zu more)", n - 1);
    textout_put(o, "\" type=\"indeterminate\">");
    for (size_t i = 0; i < r->errors.n; i++)
        if (!is_rule_problem(&r->errors.items[i])) {
            textout_put(o, "[ERROR] ");
            put_problem_line(o, &r->errors.items[i], XML_TEXT);
            textout_put(o, "\n");
        }
    textout_put(o, "</error>\n    </testcase>\n");
}

static bool blocks(const struct report_waiver *w)
{
    return w->state == WAIVER_EXPIRED && w->for_group;
}

static void put_waiver_line(struct textout *o, const struct report_waiver *w, enum xml_ctx ctx)
{
    textout_put(o, "expired waiver for ");
    put_xml(o, w->rule, ctx);
    textout_put(o, ": ");
    put_xml(o, w->reason, ctx);
    textout_put(o, " (approved by ");
    put_xml(o, w->approved_by, ctx);
    textout_put(o, ", expired ");
    put_xml(o, w->expires, ctx);
    if (w->ticket) {
        textout_put(o, ", ");
        put_xml(o, w->ticket, ctx);
    }
    textout_put(o, ")");
}

/* The "waivers" testcase: expired waivers for this group, which make the verdict NO-GO until they
 * are renewed or removed. */
static void put_waivers_case(struct textout *o, const struct report *r, const char *classname)
{
    const struct report_waiver *first = NULL;

    for (size_t i = 0; i < r->nwaivers && !first; i++)
        if (blocks(&r->waivers[i]))
            first = &r->waivers[i];
    textout_put(o, "    <testcase name=\"waivers\"");
    put_attr(o, "classname", classname);
    textout_put(o, " time=\"0\">\n      <failure message=\"");
    put_waiver_line(o, first, XML_ATTR);
    if (r->expired_waivers > 1)
        textout_putf(o, " (and %zu more)", r->expired_waivers - 1);
    textout_put(o, "\" type=\"expired-waiver\">");
    for (size_t i = 0; i < r->nwaivers; i++)
        if (blocks(&r->waivers[i])) {
            textout_put(o, "[FAIL] ");
            put_waiver_line(o, &r->waivers[i], XML_TEXT);
            textout_putf(o, ": renew or remove it (%zu result%s)\n", r->waivers[i].results,
                         r->waivers[i].results == 1 ? "" : "s");
        }
    textout_put(o, "</failure>\n    </testcase>\n");
}

static void put_property(struct textout *o, const char *name, const char *value)
{
    textout_put(o, "      <property");
    put_attr(o, "name", name);
    put_attr(o, "value", value ? value : "");
    textout_put(o, "/>\n");
}

/* A classname from the group: "sdrs." and the name (else the id) with every character other than
 * ASCII letters, digits, '-' and '_' replaced by '_' (dots would split it into packages). */
static void classname_of(const struct report *r, char *out, size_t size)
{
    const char *g = r->group_name && *r->group_name ? r->group_name
                    : r->group_id && *r->group_id   ? r->group_id
                                                    : "unknown";
    size_t n = (size_t)snprintf(out, size, "sdrs.%s", g);

    for (size_t i = 5; i < size - 1 && i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            out[i] = '_';
    }
}

/* An executed action: its outcome and each end-state check are test cases. */
static void put_execution_cases(struct textout *o, const struct report_execution *x)
{
    bool good = strcmp(x->outcome, "success") == 0;

    textout_put(o, "    <testcase name=\"execution ");
    put_xml(o, x->action, XML_NAME);
    textout_put(o, "\" classname=\"execution\" time=\"");
    textout_putf(o, "%.3f\"", (double)(x->duration_ms > 0 ? x->duration_ms : 0) / 1000);
    if (good) {
        textout_put(o, "/>\n");
    } else {
        textout_put(o, ">\n      <failure message=\"");
        put_xml(o, x->message, XML_ATTR);
        textout_put(o, "\" type=\"");
        put_xml(o, x->outcome, XML_ATTR);
        textout_put(o, "\"/>\n    </testcase>\n");
    }
    for (size_t i = 0; i < x->verify.nchecks; i++) {
        const struct verify_check *c = &x->verify.checks[i];
        textout_put(o, "    <testcase name=\"end state: ");
        put_xml(o, c->what, XML_NAME);
        textout_put(o, "\" classname=\"execution\" time=\"0\"");
        if (c->ok) {
            textout_put(o, "/>\n");
            continue;
        }
        textout_put(o, ">\n      <failure message=\"expected ");
        put_xml(o, c->expected, XML_ATTR);
        textout_put(o, ", found ");
        put_xml(o, c->found, XML_ATTR);
        textout_put(o, "\" type=\"end-state\"/>\n    </testcase>\n");
    }
}

int report_render_junit(const struct report *r, const struct render_opts *opts, struct buf *b)
{
    struct textout o = {.b = b};
    const size_t *c = r->counts;
    size_t other = count_other_problems(r);
    size_t waivers = r->expired_waivers > 0;
    const struct report_execution *x = r->execution;
    size_t tests = r->nresults + (other > 0) + waivers + (x ? 1 + x->verify.nchecks : 0);
    size_t failures = c[RESULT_FAIL] + (r->fail_on_warning ? c[RESULT_WARN] : 0) + waivers +
                      (x ? (strcmp(x->outcome, "success") != 0) + x->verify.nfailed : 0);
    size_t errors = c[RESULT_ERROR] + (other > 0);
    size_t skipped = c[RESULT_SKIPPED] + c[RESULT_WAIVED];
    const char *group = r->group_name && *r->group_name ? r->group_name
                        : r->group_id && *r->group_id   ? r->group_id
                                                        : "unknown group";
    char classname[128], tool[64];

    (void)opts;
    classname_of(r, classname, sizeof classname);
    snprintf(tool, sizeof tool, "%s %s", SDRS_NAME, SDRS_VERSION);
    textout_put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    for (int level = 0; level < 2; level++) {
        textout_put(&o, level ? "  <testsuite name=\"" : "<testsuites name=\"");
        put_xml(&o, SDRS_NAME " ", XML_NAME);
        put_xml(&o, r->action, XML_NAME);
        textout_put(&o, " ");
        put_xml(&o, group, XML_NAME);
        textout_put(&o, "\"");
        put_attr_count(&o, "tests", tests);
        put_attr_count(&o, "failures", failures);
        put_attr_count(&o, "errors", errors);
        put_attr_count(&o, "skipped", skipped);
        textout_put(&o, " time=\"0\"");
        if (level)
            put_attr(&o, "timestamp", r->generated_at);
        textout_put(&o, ">\n");
    }
    textout_put(&o, "    <properties>\n");
    put_property(&o, "verdict", verdict_name(r->verdict));
    textout_putf(&o, "      <property name=\"exit_code\" value=\"%d\"/>\n", r->exit_code);
    put_property(&o, "action", r->action);
    put_property(&o, "project_id", r->project_id);
    put_property(&o, "server_group_id", r->group_id);
    put_property(&o, "snapshot_sha256", r->snapshot_sha256);
    put_property(&o, "rules_sha256", r->rules_sha256);
    put_property(&o, "facts_sha256", r->facts_sha256);
    put_property(&o, "waivers_sha256", r->waivers_sha256);
    put_property(&o, "fetched_at", r->fetched_at);
    put_property(&o, "tool", tool);
    if (x) {
        put_property(&o, "executed_action", x->action);
        put_property(&o, "execution_outcome", x->outcome);
        textout_putf(&o, "      <property name=\"duration_ms\" value=\"%lld\"/>\n", x->duration_ms);
        put_property(&o, "job_id", x->job_id);
    }
    textout_put(&o, "    </properties>\n");
    if (x)
        put_execution_cases(&o, x);
    for (size_t i = 0; i < r->nresults; i++)
        put_testcase(&o, &r->results[i], classname, r);
    if (other)
        put_snapshot_case(&o, r, classname, other);
    if (waivers)
        put_waivers_case(&o, r, classname);
    textout_put(&o, "  </testsuite>\n</testsuites>\n");
    return o.rc;
}
