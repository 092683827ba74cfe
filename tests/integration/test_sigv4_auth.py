#!/usr/bin/env python3
"""SigV4 authentication end to end (docs/auth.md): `opsight serve --auth sigv4` on 127.0.0.1
with keys for two accounts made by `opsight keys create` while the server runs.

- Debian's AWS CLI (/usr/bin/aws) and boto3 (/usr/bin/python3) sign with those keys and succeed
  on the X-Ray sampling-rule operations; the native REST API is signed with botocore's SigV4Auth
  (header form) and SigV4QueryAuth (presigned URL).
- Accounts are isolated: account B neither lists nor deletes account A's sampling rule, and does
  not see A's metric series.
- Refusals (HTTP 403 with the documented codes): wrong secret (CLI and a hand-signed request),
  a signature dated 20 minutes ago, a tampered body, no Authorization header, a revoked key
  (within the documented cache time, with a bounded wait), awsQuery in XML. No secret appears
  in any error body or in the server log.
- `serve` with auth none on 0.0.0.0 refuses to start and names the address and the fix.
Everything listens on 127.0.0.1; every wait is bounded."""

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

AWS = "/usr/bin/aws"
PYTHON = "/usr/bin/python3"
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
REGION = "us-east-1"
KEY_CACHE_S = 5  # auth::kKeyCacheTtlMs
SERVE_ARGS = ["--auth", "sigv4", "--region", REGION, "--xray-listen", "", "--otlp-grpc-listen", ""]


def run_aws(base, key, *args, ok=True):
    cmd = [AWS, "--endpoint-url", base, "--output", "json", *args]
    p = subprocess.run(cmd, env=tl.aws_client_env(key, base), capture_output=True, text=True,
                       timeout=120)
    if ok and p.returncode != 0:
        tl.fail(f"aws {' '.join(args[:2])}: exit {p.returncode}: {p.stderr[-1500:]}")
    if not ok:
        return p
    return json.loads(p.stdout) if p.stdout.strip() else {}


# boto3 for the X-Ray calls; botocore's signers for the native REST API. Prints one JSON object.
BOTO_SCRIPT = r"""
import json, os, sys, urllib.request, urllib.error
import boto3, botocore.auth, botocore.awsrequest, botocore.credentials
base = os.environ["OPSIGHT_ENDPOINT"]
op = sys.argv[1]
out = {}
xray = boto3.client("xray", endpoint_url=base)
def send(req):
    body = req.body.encode() if isinstance(req.body, str) else req.body
    r = urllib.request.Request(req.url, data=body or None, method=req.method,
                               headers=dict(req.headers.items()))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
creds = botocore.credentials.Credentials(os.environ["AWS_ACCESS_KEY_ID"],
                                         os.environ["AWS_SECRET_ACCESS_KEY"])
if op == "rules":
    out["rules"] = [r["SamplingRule"]["RuleName"]
                    for r in xray.get_sampling_rules()["SamplingRuleRecords"]]
elif op == "delete-other":
    try:
        xray.delete_sampling_rule(RuleName=sys.argv[2])
        out["deleted"] = True
    except xray.exceptions.ClientError as e:
        out["error"] = e.response["Error"]["Code"]
        out["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
elif op == "native":
    # Header form: PUT a metric as CloudWatch would, then list series; presigned: the same query.
    body = json.dumps({"Namespace": "AuthIT", "MetricData": [
        {"MetricName": "Probe" + sys.argv[2], "Value": 1.0}]})
    if sys.argv[3] == "put":
        req = botocore.awsrequest.AWSRequest(method="POST", url=base + "/api/v1/metrics/put",
                                             data=body,
                                             headers={"Content-Type": "application/json"})
        botocore.auth.SigV4Auth(creds, "monitoring", "us-east-1").add_auth(req)
        out["put"] = send(req.prepare())
    # Encoded as the AWS SDKs encode query strings (botocore signs the query as sent).
    q = "match%5B%5D=" + urllib.request.quote('{Namespace="AuthIT"}', safe="")
    req = botocore.awsrequest.AWSRequest(method="GET", url=base + "/api/v1/series?" + q)
    botocore.auth.SigV4Auth(creds, "monitoring", "us-east-1").add_auth(req)
    out["series"] = send(req.prepare())
    req = botocore.awsrequest.AWSRequest(method="GET", url=base + "/api/v1/series?" + q)
    botocore.auth.SigV4QueryAuth(creds, "monitoring", "us-east-1", expires=60).add_auth(req)
    out["presigned"] = send(req.prepare())
print(json.dumps(out))
"""


def run_boto(base, key, *args):
    p = subprocess.run([PYTHON, "-c", BOTO_SCRIPT, *args], env=tl.aws_client_env(key, base),
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        tl.fail(f"boto3 {' '.join(args)}: exit {p.returncode}: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def xray_sign(key, method, base, path, body, when, secret=None):
    """Headers of an X-Ray JSON request signed at `when` (with `secret` instead of the key's)."""
    return tl.sigv4_headers(key, method, base + path, body, {"content-type": "application/json"},
                            service="xray", when=when, secret=secret)


def http(method, url, body=None, headers=None):
    """(status, body text); 4xx/5xx are returned."""
    status, raw = tl.http_request(method, url, body, headers)
    return status, raw.decode("utf-8", errors="replace")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rule(name):
    return {"RuleName": name, "ResourceARN": "*", "Priority": 50, "FixedRate": 0.1,
            "ReservoirSize": 1, "ServiceName": "*", "ServiceType": "*", "Host": "*",
            "HTTPMethod": "*", "URLPath": "*", "Version": 1}


def expect_refused(status, body, code, what, bodies):
    bodies.append(body)
    if status != 403 or code not in body:
        tl.fail(f"{what}: want 403 {code}, got {status}: {body[:400]}")
    tl.log(f"ok: {what} -> 403 {code}")


def test_refuses_public_listener_without_auth():
    with tempfile.TemporaryDirectory(prefix="opsight-it-auth-") as d:
        p = subprocess.run([tl.find_opsight_bin(), "serve", "--data-dir", d, "--http-listen",
                            f"0.0.0.0:{tl.free_port()}", "--xray-listen", "",
                            "--otlp-grpc-listen", ""],
                           capture_output=True, text=True, timeout=60)
        out = p.stdout + p.stderr
        if p.returncode == 0 or "0.0.0.0" not in out or "loopback" not in out or \
                "sigv4" not in out:
            tl.fail(f"serve with auth none on 0.0.0.0: exit {p.returncode}, output {out[-800:]}")
    tl.log("ok: auth none on 0.0.0.0 refuses to start")


def main():
    test_refuses_public_listener_without_auth()
    with tl.OpsightServer(extra_args=SERVE_ARGS, log_name="opsight-auth.log") as srv:
        srv.start()
        base = srv.base
        # Keys made while the server runs: it must see them without a restart.
        key_a = tl.create_access_key(srv, ACCOUNT_A, "it account A")
        key_b = tl.create_access_key(srv, ACCOUNT_B, "it account B")
        key_r = tl.create_access_key(srv, ACCOUNT_A, "to revoke")
        secrets = [k["SecretAccessKey"] for k in (key_a, key_b, key_r)]
        listed = tl.opsight_keys(srv, "list", "--account", ACCOUNT_A)
        if key_a["AccessKeyId"] not in listed or key_b["AccessKeyId"] in listed or \
                any(s in listed for s in secrets):
            tl.fail(f"keys list --account: {listed}")

        # Real clients succeed, each in its own account.
        run_aws(base, key_a, "xray", "create-sampling-rule", "--sampling-rule",
                json.dumps(rule("rule-of-a")))
        got = run_aws(base, key_a, "xray", "get-sampling-rules")
        names_a = [r["SamplingRule"]["RuleName"] for r in got["SamplingRuleRecords"]]
        if "rule-of-a" not in names_a:
            tl.fail(f"account A does not see its rule: {names_a}")
        if "rule-of-a" not in run_boto(base, key_a, "rules")["rules"]:
            tl.fail("boto3 as account A does not see rule-of-a")
        names_b = run_boto(base, key_b, "rules")["rules"]
        if "rule-of-a" in names_b:
            tl.fail(f"account B lists account A's rule: {names_b}")
        deleted = run_boto(base, key_b, "delete-other", "rule-of-a")
        if deleted.get("deleted") or deleted.get("status", 0) < 400:
            tl.fail(f"account B deleted account A's rule: {deleted}")
        if "rule-of-a" not in run_boto(base, key_a, "rules")["rules"]:
            tl.fail("account A's rule is gone after account B's delete")
        tl.log("ok: CLI and boto3 signed calls; account B cannot see or delete A's rule")

        native_a = run_boto(base, key_a, "native", "A", "put")
        if native_a["put"][0] // 100 != 2:
            tl.fail(f"signed native put: {native_a['put']}")
        for form in ("series", "presigned"):
            status, body = native_a[form]
            if status != 200 or "ProbeA" not in body:
                tl.fail(f"account A {form} query: {status} {body[:300]}")
        native_b = run_boto(base, key_b, "native", "B", "get")
        status, body = native_b["series"]
        if status != 200 or "ProbeA" in body:
            tl.fail(f"account B sees account A's series: {status} {body[:300]}")
        tl.log("ok: native API signed by botocore (header and presigned); series per account")

        bodies = []
        payload = json.dumps({"SamplingRule": rule("never-created")}).encode()
        # Wrong secret, from the CLI and by hand.
        wrong = dict(key_a, SecretAccessKey="x" * 40)
        p = run_aws(base, wrong, "xray", "get-sampling-rules", ok=False)
        if p.returncode == 0 or "SignatureDoesNotMatch" not in p.stderr and \
                "InvalidSignatureException" not in p.stderr:
            tl.fail(f"CLI with a wrong secret: exit {p.returncode}: {p.stderr[-600:]}")
        bodies.append(p.stderr)
        st, body = http("POST", base + "/CreateSamplingRule", payload,
                                   xray_sign(key_a, "POST", base, "/CreateSamplingRule", payload, now(),
                                        secret="y" * 40))
        expect_refused(st, body, "SignatureDoesNotMatch", "wrong secret", bodies)
        # The same request correctly signed works (so the refusals below are about one thing).
        ok_payload = json.dumps({"SamplingRule": rule("hand-signed")}).encode()
        st, body = http("POST", base + "/CreateSamplingRule", ok_payload,
                                   xray_sign(key_a, "POST", base, "/CreateSamplingRule", ok_payload,
                                        now()))
        if st != 200:
            tl.fail(f"hand-signed request: {st} {body[:300]}")
        # Signed 20 minutes ago.
        st, body = http("POST", base + "/CreateSamplingRule", payload,
                                   xray_sign(key_a, "POST", base, "/CreateSamplingRule", payload,
                                        now() - datetime.timedelta(minutes=20)))
        expect_refused(st, body, "RequestExpired", "signature 20 minutes old", bodies)
        # Tampered body: signed for one rule, sent with another.
        tampered = payload.replace(b"never-created", b"evil-created!")
        st, body = http("POST", base + "/CreateSamplingRule", tampered,
                                   xray_sign(key_a, "POST", base, "/CreateSamplingRule", payload,
                                        now()))
        expect_refused(st, body, "SignatureDoesNotMatch", "tampered body", bodies)
        # No Authorization header.
        st, body = http("POST", base + "/GetSamplingRules", b"{}",
                                   {"content-type": "application/json"})
        expect_refused(st, body, "MissingAuthenticationToken", "missing Authorization", bodies)
        # awsQuery clients get the XML ErrorResponse.
        st, body = http("POST", base + "/", b"Action=ListMetrics&Version=2010-08-01",
                                   {"content-type": "application/x-www-form-urlencoded"})
        expect_refused(st, body, "<Code>MissingAuthenticationToken</Code>", "awsQuery unsigned",
                       bodies)
        if "<ErrorResponse" not in body or "<RequestId>" not in body:
            tl.fail(f"awsQuery refusal is not an ErrorResponse: {body}")
        # An unknown key.
        ghost = {"AccessKeyId": "AKIAGHOSTGHOSTGHOST2", "SecretAccessKey": "z" * 40}
        st, body = http("POST", base + "/GetSamplingRules", b"{}",
                                   xray_sign(ghost, "POST", base, "/GetSamplingRules", b"{}", now()))
        expect_refused(st, body, "UnrecognizedClientException", "unknown key", bodies)

        # A revoked key stops working within the cache time.
        def rules_status(key):
            return http("POST", base + "/GetSamplingRules", b"{}",
                                   xray_sign(key, "POST", base, "/GetSamplingRules", b"{}", now()))
        st, body = rules_status(key_r)
        if st != 200:
            tl.fail(f"key to revoke does not work before revoking: {st} {body[:300]}")
        tl.opsight_keys(srv, "revoke", key_r["AccessKeyId"])
        t0 = time.monotonic()
        tl.wait_until(lambda: rules_status(key_r)[0] == 403, KEY_CACHE_S + 10, interval_s=0.2,
                      what="revoked key refused")
        st, body = rules_status(key_r)
        expect_refused(st, body, "UnrecognizedClientException",
                       f"revoked key (after {time.monotonic() - t0:.1f}s)", bodies)
        if rules_status(key_a)[0] != 200:
            tl.fail("revoking one key of account A broke its other key")
        if "Inactive" not in tl.opsight_keys(srv, "list"):
            tl.fail("keys list does not show the revoked key as Inactive")

        # Nothing secret in any refusal or in the log.
        for b in bodies:
            for s in secrets + ["x" * 40, "y" * 40, "z" * 40]:
                if s in b:
                    tl.fail(f"an error body contains a secret: {b[:300]}")
        srv.stop()
        with open(srv.log_path, encoding="utf-8", errors="replace") as f:
            server_log = f.read()
        for s in secrets:
            if s in server_log:
                tl.fail("the server log contains a secret")
        tl.log("ok: no secret in error bodies or the server log")
    tl.log("PASS test_sigv4_auth")


if __name__ == "__main__":
    tl.main_wrapper(main)
