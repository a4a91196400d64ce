"""--help, the man page and the bash completion cannot drift from the option table.

Each command's --help is written from src/cli.c's option table, so it is the table: every option it
lists must be in the man page and in the command's completion list, and the man page and the
completion must not name an option the table does not have. Options given to a command they do not
apply to are usage errors.
"""
import json
import os
import re
import unittest

from clitest import run, src

COMMANDS = ["check", "fetch", "failover", "rules", "verify-log", "endpoints", "doctor", "version"]


def help_options(command):
    """The options --help lists for a command: {'--snapshot', '-o', '--output', ...}."""
    res = run(command, "--help")
    assert res.code == 0, res
    opts = set()
    for line in res.out.splitlines():
        m = re.match(r"^  (-[a-zA-Z]), (--[a-z][a-z-]*)|^  (--[a-z][a-z-]*)", line)
        if m:
            opts.update(o for o in m.groups() if o)
    return opts


def completion_options():
    """{command: set of options} from the completion's `case $cmd in` lists."""
    with open(src("docs", "sdrs-preflight.bash-completion")) as f:
        text = f.read()
    out = {}
    for cmd in COMMANDS:
        words = set()
        m = re.search(r"^\s+%s\)(.*?)(;;|\n\s+[a-z-]+\) )" % re.escape(cmd), text, re.S | re.M)
        assert m, "no completion for %s" % cmd
        for lst in re.findall(r'compgen (?:-f )?-W "([^"$]*)"', m.group(1)):
            words.update(w for w in lst.split() if w.startswith("-"))
        out[cmd] = words
    return out


def man_options():
    """Every option the man page names (\\-\\-name and \\-x forms)."""
    with open(src("docs", "sdrs-preflight.1")) as f:
        text = f.read().replace("\\-", "-")
    longs = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])", text))
    shorts = set(re.findall(r"(?<![\w-])(-[a-zA-Z])(?![\w-])", text))
    return longs, shorts


class Docs(unittest.TestCase):
    def test_help_man_and_completion_agree(self):
        comp = completion_options()
        man_long, man_short = man_options()
        table = set()
        for cmd in COMMANDS:
            opts = help_options(cmd)
            table |= opts
            with self.subTest(command=cmd):
                self.assertTrue({"--help", "--version"} <= opts, opts)
                self.assertEqual(comp[cmd], opts, "completion of %s differs from its --help" % cmd)
        for opt in sorted(table):
            with self.subTest(option=opt):
                if opt.startswith("--"):
                    self.assertIn(opt, man_long, "the man page lacks %s" % opt)
                else:
                    self.assertIn(opt, man_short, "the man page lacks %s" % opt)
        # the man page names no option the table does not have ("-vv" is -v twice)
        self.assertEqual(sorted(o for o in man_long if o not in table), [])
        self.assertEqual(sorted(o for o in man_short if o not in table and o != "-vv"), [])

    def test_every_option_refused_where_it_does_not_apply(self):
        per = {cmd: help_options(cmd) for cmd in COMMANDS}
        everything = set().union(*per.values())
        for cmd in ("fetch", "rules", "verify-log"):
            for opt in sorted(o for o in everything - per[cmd] if o.startswith("--")):
                with self.subTest(command=cmd, option=opt):
                    args = [cmd] + (["list"] if cmd == "rules" else ["x"]) + [opt, "v"]
                    res = run(*args)
                    self.assertEqual(res.code, 2, res)
                    self.assertIn("%s does not apply to %s" % (opt, cmd), res.err)


class Refusals(unittest.TestCase):
    """docs/refusals.md: every documented state/precondition refusal once, each predicted one with a
    fixture that expects its rule, and the figures its introduction states."""

    def rows(self):
        with open(src("docs", "refusals.md")) as f:
            text = f.read()
        rows = re.findall(r"^\| (SDRS\.\d{4}) \| (.*?) \| (state/precondition|state: stop server) \| (.*?) \| (.*?) \|$",
                          text, re.M)
        return text, rows

    def test_table(self):
        text, rows = self.rows()
        codes = [r[0] for r in rows]
        self.assertEqual(len(codes), len(set(codes)), "a code is listed twice")
        predicted = [r for r in rows if r[3].startswith("predicted: ")]
        other = [r for r in rows if r[3].startswith("not one of the five actions")]
        for code, _, _, prediction, _ in predicted:
            rule = re.match(r"predicted: \*\*(SDRS-\d{3})\*\* \((fail|warn) before `([a-z-]+)`\)", prediction)
            self.assertIsNotNone(rule, prediction)
            with open(src("tests", "rules", "refusals", code + ".json")) as f:
                case = json.load(f)
            self.assertEqual(case["expect"], {rule.group(1): rule.group(2)}, code)
            self.assertEqual(case["action"], rule.group(3), code)
        fixtures = sorted(n[:-5] for n in os.listdir(src("tests", "rules", "refusals")) if n.endswith(".json"))
        self.assertEqual(fixtures, sorted(r[0] for r in predicted))
        applicable = len(rows) - len(other)
        self.assertIn("SDRS documents %d error codes" % len(rows), text)
        self.assertIn("%d of them belong to operations other than" % len(other), text)
        self.assertIn("Of the %d that the five\nactions can return, **%d are predicted**" % (applicable, len(predicted)),
                      text)
        with open(src("README.md")) as f:
            self.assertIn("%d of the %d" % (len(predicted), applicable), f.read())

    def test_every_documented_refusal_is_listed(self):
        api = os.path.join(src(), "..", "shared", "sdrs-api.md")
        if not os.path.exists(api):
            self.skipTest("../shared/sdrs-api.md is not here")
        with open(api) as f:
            documented = set(re.findall(r"^\| (SDRS\.\d{4}) \| \d+ \| .*? \| (?:state/precondition|state: stop server) \|$",
                                        f.read(), re.M))
        self.assertEqual(set(r[0] for r in self.rows()[1]), documented)


if __name__ == "__main__":
    unittest.main()
