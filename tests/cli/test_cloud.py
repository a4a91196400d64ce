"""Working on the real clouds the way their own tools do (issue #14): the region table, clouds.yaml,
the endpoints and doctor commands, and AK/SK requests with a signed X-Project-Id."""
import json
import os
import stat
import unittest

from clitest import (AKSK_ENV, NO_CREDS, PASSWORD_ENV, SIM_AK, SIM_GROUP, SIM_PROJECT, SIM_SK,
                     SIM_TOKEN, SIM_USER, TOKEN_ENV, Sim, TempDirTest, basic_scenario, creds, run)


class Endpoints(TempDirTest):
    def test_region_table_and_sources(self):
        res = run("endpoints", "--region", "eu-de", "--format", "json", env=creds(TOKEN_ENV))
        self.assertEqual(res.code, 0, res.err)
        doc = res.json()
        self.assertEqual(set(doc) >= {"sdrs", "ecs", "ims", "iam"}, True)
        self.assertEqual(doc["sdrs"]["url"], "https://sdrs.eu-de.otc.t-systems.com")
        self.assertEqual(doc["sdrs"]["source"], "region table: eu-de, Open Telekom Cloud")
        self.assertEqual(doc["region"], {"name": "eu-de", "source": "--region"})
        self.assertEqual(doc["credentials"], {"kind": "token", "source": "OS_AUTH_TOKEN"})
        self.assertNotIn(SIM_TOKEN, res.out + res.err)
        res = run("endpoints", "--format", "json",
                  env=creds(dict(TOKEN_ENV, OS_REGION_NAME="eu-ch2")))
        self.assertEqual(res.json()["iam"]["url"], "https://iam-pub.eu-ch2.sc.otc.t-systems.com")
        self.assertEqual(res.json()["region"]["source"], "OS_REGION_NAME")
        res = run("endpoints", "--region", "cn-north-4", "--endpoint", "https://sdrs.example",
                  env=creds(TOKEN_ENV))
        self.assertIn("sdrs         https://sdrs.example  (--endpoint)", res.out)
        self.assertIn("ecs          https://ecs.cn-north-4.myhuaweicloud.com  (region table: "
                      "cn-north-4, Huawei Cloud)", res.out)

    def test_unknown_region_is_a_usage_error(self):
        for region in ("eu-de-01", "mars-1"):
            with self.subTest(region=region):
                res = run("endpoints", "--region", region, env=creds(TOKEN_ENV))
                self.assertEqual(res.code, 2, res)
                self.assertIn("region '%s' (--region) is not a region this tool knows" % region,
                              res.err)
                self.assertIn("eu-de, eu-nl", res.err)
                self.assertIn("--endpoint", res.err)
                res = run("check", "g-1", "--region", region, env=creds(TOKEN_ENV))
                self.assertEqual(res.code, 2, res)

    def test_project_name_gives_the_region(self):
        env = {"OS_USERNAME": "u", "OS_PASSWORD": "pw-not-shown", "OS_USER_DOMAIN_NAME": "d",
               "OS_PROJECT_NAME": "eu-nl_ops"}
        res = run("endpoints", "--format", "json", env=creds(env))
        self.assertEqual(res.code, 0, res.err)
        doc = res.json()
        self.assertEqual(doc["region"], {"name": "eu-nl", "source": "the OTC project name"})
        self.assertEqual(doc["iam"]["url"], "https://iam.eu-nl.otc.t-systems.com")
        self.assertNotIn("pw-not-shown", res.out + res.err)


class CloudsYaml(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario())
        self.cwd = os.path.join(self.tmp, "work")
        os.makedirs(self.cwd)

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def clouds(self, clouds, secure=None, mode=0o600):
        def dump(doc):
            lines = ["clouds:"]
            for name, cloud in doc.items():
                lines.append("  %s:" % name)
                for k, v in cloud.items():
                    if isinstance(v, dict):
                        lines.append("    %s:" % k)
                        lines += ["      %s: '%s'" % (k2, v2) for k2, v2 in v.items()]
                    else:
                        lines.append("    %s: '%s'" % (k, v))
            return "\n".join(lines) + "\n"
        for name, doc in (("clouds.yaml", clouds), ("secure.yaml", secure)):
            if doc is None:
                continue
            path = os.path.join(self.cwd, name)
            with open(path, "w") as f:
                f.write(dump(doc))
            os.chmod(path, mode)

    def overrides(self):
        u = self.sim.url
        return {"sdrs_endpoint_override": u, "compute_endpoint_override": u,
                "image_endpoint_override": u, "volume_endpoint_override": u}

    def check(self, *args, env=None):
        return run("check", SIM_GROUP, *args, env=env or creds({}), cwd=self.cwd)

    def test_every_kind_of_credential(self):
        u = self.sim.url
        self.clouds({
            "tok": dict(self.overrides(), auth={"token": SIM_TOKEN, "project_id": SIM_PROJECT}),
            "keys": dict(self.overrides(), ak=SIM_AK, sk=SIM_SK,
                         auth={"project_id": SIM_PROJECT}),
            "pw": {"auth": {"auth_url": u + "/v3", "username": SIM_USER[0],
                            "user_domain_name": SIM_USER[2], "project_id": SIM_PROJECT}},
        }, secure={"pw": {"auth": {"password": SIM_USER[1]}}})
        for cloud, kind in (("tok", "token"), ("keys", "AK/SK"), ("pw", "IAM password")):
            with self.subTest(cloud=cloud):
                res = self.check("-v", env=creds({"OS_CLOUD": cloud}))
                self.assertEqual(res.code, 0, res.err)
                self.assertIn("credentials: %s from clouds.yaml" % kind, res.err)
                for secret in (SIM_TOKEN, SIM_SK, SIM_USER[1]):
                    self.assertNotIn(secret, res.out + res.err)
        res = run("check", SIM_GROUP, "--os-cloud", "keys", env=creds({}), cwd=self.cwd)
        self.assertEqual(res.code, 0, res.err)

    def test_flags_and_variables_win(self):
        self.clouds({"tok": dict(self.overrides(), region_name="eu-de",
                                 auth={"token": SIM_TOKEN, "project_id": SIM_PROJECT})})
        # a wrong token in the environment wins over the cloud's good one: refused
        res = self.check(env=creds({"OS_CLOUD": "tok", "OS_AUTH_TOKEN": "wrong-token"}))
        self.assertEqual(res.code, 3, res.err)
        res = run("endpoints", "--region", "eu-nl", "--format", "json",
                  env=creds({"OS_CLOUD": "tok"}), cwd=self.cwd)
        doc = res.json()
        self.assertEqual(doc["region"]["name"], "eu-nl")
        self.assertEqual(doc["sdrs"], {"url": self.sim.url, "source": "clouds.yaml cloud 'tok'"})
        self.assertEqual(doc["iam"]["source"], "region table: eu-nl, Open Telekom Cloud")
        # EVS: clouds.yaml's volume_endpoint_override (the openstacksdk name) wins over the region
        self.assertEqual(doc["evs"], {"url": self.sim.url, "source": "clouds.yaml cloud 'tok'"})
        res = run("endpoints", "--region", "eu-nl", "--format", "json", env=creds(TOKEN_ENV))
        self.assertEqual(res.json()["evs"], {"url": "https://evs.eu-nl.otc.t-systems.com",
                                             "source": "region table: eu-nl, Open Telekom Cloud"})

    def test_secrets_others_can_read_get_a_warning(self):
        self.clouds({"tok": dict(self.overrides(), auth={"token": SIM_TOKEN,
                                                         "project_id": SIM_PROJECT})}, mode=0o644)
        res = self.check("-q", env=creds({"OS_CLOUD": "tok"}))
        self.assertEqual(res.code, 0, res.err)
        self.assertIn("may be read by others than its owner: chmod 600 it", res.err)
        self.assertNotIn(SIM_TOKEN, res.err)

    def test_problems_are_clear(self):
        self.clouds({"tok": {"auth": {"username": "only-a-user"}}})
        res = self.check(env=creds({"OS_CLOUD": "tok"}))
        self.assertEqual(res.code, 2, res)
        self.assertIn("has no complete credentials", res.err)
        res = self.check(env=creds({"OS_CLOUD": "other"}))
        self.assertEqual(res.code, 2, res)
        self.assertIn("has no cloud 'other'", res.err)
        os.unlink(os.path.join(self.cwd, "clouds.yaml"))
        res = run("check", SIM_GROUP, env=creds({"OS_CLOUD": "tok", "HOME": self.tmp}),
                  cwd=self.cwd)
        self.assertEqual(res.code, 2, res)
        self.assertIn("there is no clouds.yaml", res.err)


class Doctor(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario())

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def doctor(self, env, *extra):
        return run("doctor", *self.sim.endpoint_args(), "--iam-endpoint", self.sim.url, *extra,
                   env=creds(env))

    def test_ready(self):
        for env in (TOKEN_ENV, AKSK_ENV, PASSWORD_ENV):
            with self.subTest(env=sorted(env)):
                res = self.doctor(env)
                self.assertEqual(res.code, 0, res.out + res.err)
                self.assertIn("a live check can run", res.out)
                self.assertNotIn("FAIL", res.out)
                for line in ("credentials", "credential accepted", "SDRS read access",
                             "ECS read access", "IMS read access"):
                    self.assertRegex(res.out, r"(?m)^ok +%s " % line)
        doc = self.doctor(TOKEN_ENV, "--format", "json").json()
        self.assertTrue(doc["ready"])
        self.assertTrue(all(c["ok"] for c in doc["checks"]))
        self.assertIn("SDRS read access", [c["check"] for c in doc["checks"]])

    def test_not_ready_says_what_to_fix(self):
        res = self.doctor({"OS_AUTH_TOKEN": "wrong-token"})
        self.assertEqual(res.code, 3, res.out + res.err)
        self.assertRegex(res.out, r"(?m)^FAIL +credential accepted +SDRS refused it \(HTTP 401\)")
        self.assertIn("a live check cannot run: fix the FAIL lines", res.out)
        res = run("doctor", "--endpoint", "http://127.0.0.1:9", "--ecs-endpoint", self.sim.url,
                  "--evs-endpoint", self.sim.url, "--project-id", SIM_PROJECT, "--retries", "0",
                  env=creds(TOKEN_ENV))
        self.assertEqual(res.code, 3, res.out + res.err)
        self.assertRegex(res.out, r"(?m)^FAIL +SDRS read access +http://127.0.0.1:9 does not answer")
        self.assertRegex(res.out, r"(?m)^ok +EVS read access")
        # without an EVS endpoint the disks cannot be read: a live check cannot decide
        res = run("doctor", "--endpoint", self.sim.url, "--ecs-endpoint", self.sim.url,
                  "--project-id", SIM_PROJECT, env=creds(TOKEN_ENV))
        self.assertEqual(res.code, 3, res.out + res.err)
        self.assertRegex(res.out, r"(?m)^FAIL +EVS endpoint +unknown: give --evs-endpoint URL")
        res = run("doctor", env=creds(NO_CREDS))
        self.assertEqual(res.code, 3, res.out + res.err)
        self.assertIn("no credentials", res.err)


class ProjectHeader(TempDirTest):
    """AK/SK requests carry X-Project-Id and sign it, as the official SDKs do; the simulator
    refuses them otherwise (aksk_project_header required)."""

    def test_signed_project_header(self):
        sim = Sim(self.tmp, basic_scenario(aksk_project_header="required"))
        try:
            res = run("check", SIM_GROUP, *sim.endpoint_args(), env=creds(AKSK_ENV))
            self.assertEqual(res.code, 0, res.out + res.err)
            signed = [r.get("signed_headers") for r in sim.requests() if r.get("auth") == "aksk"
                      or r.get("signed_headers")]
            self.assertTrue(signed, sim.requests()[:2])
            for s in signed:
                self.assertIn("x-project-id", s)
        finally:
            sim.stop()


class TemporaryKeys(TempDirTest):
    """A temporary AK/SK pair: X-Security-Token is sent and signed; without it, refused."""

    TEMP = {"ak": "TEMPSIMAK00000000001", "sk": "tempSimSecretKey0123456789abcdefghijklmno",
            "security_token": "gQpzZWN1cml0eS10b2tlbi1mb3ItdGhlLXNpbQ"}

    def test_security_token_signed(self):
        sc = basic_scenario()
        sc["credentials"]["aksk"] = list(sc["credentials"].get("aksk", [])) + [self.TEMP]
        sim = Sim(self.tmp, sc)
        try:
            env = {"OS_ACCESS_KEY": self.TEMP["ak"], "OS_SECRET_KEY": self.TEMP["sk"],
                   "OS_SECURITY_TOKEN": self.TEMP["security_token"]}
            res = run("check", SIM_GROUP, *sim.endpoint_args(), env=creds(env))
            self.assertEqual(res.code, 0, res.out + res.err)
            signed = [r["signed_headers"] for r in sim.requests() if r.get("signed_headers")]
            self.assertTrue(signed)
            for s in signed:
                self.assertIn("x-security-token", s)
                self.assertIn("x-project-id", s)
            self.assertNotIn(self.TEMP["security_token"], res.out + res.err)
            del env["OS_SECURITY_TOKEN"]
            res = run("check", SIM_GROUP, *sim.endpoint_args(), env=creds(env))
            self.assertEqual(res.code, 3, res.out + res.err)
        finally:
            sim.stop()


if __name__ == "__main__":
    unittest.main()
