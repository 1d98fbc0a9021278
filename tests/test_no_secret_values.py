"""No synthesized file contains a string that looks like a secret value."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.synthesis import environment_names
from tests.secret_scan import scan_assembly

# Built from parts, so that secret scanners that read this repository do not flag the test.
PRIVATE_KEY_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"
SECRET_ACCESS_KEY = "Ab3/" * 10


@pytest.mark.parametrize("environment", environment_names())
def test_assembly_has_no_secret_values(synthesized, environment):
    outdir = synthesized(environment).outdir
    assert list(outdir.glob("*.template.json")), "the scan found no templates"
    assert [str(finding) for finding in scan_assembly(outdir)] == []


def test_scan_finds_connection_string_with_password(tmp_path):
    (tmp_path / "values.json").write_text(
        '{\n  "MONGO_URI": "mongodb://app:hunter2@db:27017"\n}\n')
    (finding,) = scan_assembly(tmp_path)
    assert finding.kind == "URL with a password"
    assert finding.location == "line 2"
    assert "hunter2" not in str(finding)


@pytest.mark.parametrize("text, kind", [
    ("REDIS_URL=rediss://default:s3cret@cache.example.com:6380/0", "URL with a password"),
    ("mongodb+srv://app:hunter2@cluster0.example.mongodb.net/finbrain", "URL with a password"),
    (f"{PRIVATE_KEY_HEADER}\nMIIEow...\n", "private key"),
    (f"aws_secret_access_key = {SECRET_ACCESS_KEY}", "AWS secret access key"),
    (f'"AWS_SECRET_ACCESS_KEY": "{SECRET_ACCESS_KEY}"', "AWS secret access key"),
])
def test_scan_finds_secret_shapes(tmp_path, text, kind):
    (tmp_path / "planted.txt").write_text(text)
    assert [finding.kind for finding in scan_assembly(tmp_path)] == [kind]


@pytest.mark.parametrize("text", [
    "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
    "mongodb://db:27017/finbrain",
    "mongodb+srv://...",
    "user@example.com",
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/0123",
    "aws_secret_access_key = <from the credentials file>",
])
def test_scan_ignores_values_without_credentials(tmp_path, text):
    (tmp_path / "clean.txt").write_text(text)
    assert scan_assembly(tmp_path) == []


def test_scan_finds_secret_string_property(tmp_path):
    template = {"Resources": {"Secret": {"Type": "AWS::SecretsManager::Secret",
                                         "Properties": {"SecretString": "{\"k\": \"v\"}"}}}}
    (tmp_path / "Planted.template.json").write_text(json.dumps(template))
    (finding,) = scan_assembly(tmp_path)
    assert finding.kind == "SecretString property"
    assert finding.location == "/Resources/Secret/Properties/SecretString"


def test_scan_skips_zip_assets(tmp_path):
    with zipfile.ZipFile(tmp_path / "asset.layer.zip", "w") as archive:
        archive.writestr("config", "mongodb://app:hunter2@db:27017")
    assert scan_assembly(tmp_path) == []
