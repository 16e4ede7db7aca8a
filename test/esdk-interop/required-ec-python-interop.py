"""Required encryption context interop, the Python side (run by hand; not part of npm test).

Uses the AWS Encryption SDK for Python with the AWS Cryptographic Material Providers Library: a raw
AES-256 keyring (MPL spec framework/raw-aes-keyring.md) under the Required Encryption Context CMM
(framework/required-encryption-context-cmm.md); "encryption context to only authenticate" is the ESDK
spec's client-apis/encrypt.md term. The environment it needs, and the exact commits it ran with, are
in fixtures/required-ec-python/README.md.

  python3 required-ec-python-interop.py write <dir>   write messages + manifest.json into <dir>
  python3 required-ec-python-interop.py read <dir>    decrypt every message of <dir>/manifest.json,
                                                      positives and negatives, print a JSON summary

Every message written is read back here first (positives decrypt, every listed negative fails), so a
manifest only lists what the writer itself accepts or refuses.
"""
import base64
import json
import os
import sys

import aws_encryption_sdk
from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
from aws_cryptographic_material_providers.mpl.models import (
    AesWrappingAlg,
    CreateDefaultCryptographicMaterialsManagerInput,
    CreateRawAesKeyringInput,
    CreateRequiredEncryptionContextCMMInput,
)
from aws_encryption_sdk import Algorithm, CommitmentPolicy

MPL = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())

# The public ESDK test-vector key "aes-256" (keys manifest v3), under our own namespace and name; it
# is public test material, so anyone can recompute every message.
KEY = {
    "provider-id": "strongroom-interop",
    "key-name": "aes-256-fixed",
    "material-base64": "AAECAwQFBgcICRAREhMUFRYXGBkgISIjJCUmJygpMDE=",
}

SUITES = [0x0014, 0x0046, 0x0078, 0x0114, 0x0146, 0x0178, 0x0214, 0x0346, 0x0378, 0x0478, 0x0578]

# name -> (encryption context given on encrypt, required keys)
CONTEXTS = {
    "mixed": ({"tenant": "acme", "purpose": "interop", "bucket": "photos", "object-key": "2026/11/30/a.jpg"}, ["bucket", "object-key"]),
    "all-required": ({"key1": "val1", "key2": "val2"}, ["key1", "key2"]),
    "one-of-five": ({"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}, ["c"]),
    # U+1F600 sorts before U+FFFD in UTF-16 code units but after it in UTF-8 bytes: the required pairs
    # (and the stored ones) must be sorted by UTF-8 bytes on both sides.
    "utf8-order": ({"\U0001F600emoji": "gr\u00fcn", "\uFFFDreplacement": "x", "\u00e9t\u00e9": "s\u00f8mmer", "plain": "ascii"}, ["\U0001F600emoji", "\uFFFDreplacement"]),
    "empty-value": ({"note": "", "owner": "alice"}, ["note"]),
}

FRAME = 256


def plaintext_of(size):
    return bytes((i * 89 + 7) & 0xFF for i in range(size))


def cmms(key, required_keys):
    keyring = MPL.create_raw_aes_keyring(
        CreateRawAesKeyringInput(
            key_namespace=key["provider-id"],
            key_name=key["key-name"],
            wrapping_key=base64.b64decode(key["material-base64"]),
            wrapping_alg=AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16,
        )
    )
    default = MPL.create_default_cryptographic_materials_manager(CreateDefaultCryptographicMaterialsManagerInput(keyring=keyring))
    required = MPL.create_required_encryption_context_cmm(
        CreateRequiredEncryptionContextCMMInput(required_encryption_context_keys=list(required_keys), underlying_cmm=default)
    )
    return default, required


def client_for(suite):
    committing = suite >= 0x0478
    policy = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT if committing else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)


def negatives(context, required):
    """Reproduced contexts that must not decrypt: each names what it gets wrong."""
    reproduced = {k: context[k] for k in required}
    stored = {k: v for k, v in context.items() if k not in required}
    out = {
        "none": {},
        "missing": {k: v for k, v in reproduced.items() if k != required[0]},
        "wrong-value": {**reproduced, required[0]: reproduced[required[0]] + "-x"},
        "extra-pair": {**reproduced, "not-in-message": "extra"},
    }
    if stored:
        first = sorted(stored)[0]
        out["contradicts-stored"] = {**reproduced, first: stored[first] + "-x"}
    return out


def attempt(client, ciphertext, cmm, reproduced):
    """(plaintext or None, error class name or None)."""
    try:
        plaintext, _ = client.decrypt(source=ciphertext, materials_manager=cmm, encryption_context=reproduced)
        return plaintext, None
    except Exception as e:  # noqa: BLE001 - the class name is recorded, any refusal counts
        return None, type(e).__name__


def check(test, key, ciphertext, plaintext):
    """Decrypt with both CMMs: positives must match, negatives must fail. Returns (failures, counts)."""
    client = client_for(int(test["suite"], 16))
    default, required = cmms(key, test["required-encryption-context-keys"])
    failures, counts = [], {"positives": 0, "positives-passed": 0, "negatives": 0, "negatives-passed": 0}
    positives = {"reproduced": test["reproduced-encryption-context"], "reproduced-plus-stored": test["encryption-context"]}
    for cmm_name, cmm in (("required-ec-cmm", required), ("default-cmm", default)):
        for name, reproduced in positives.items():
            counts["positives"] += 1
            got, err = attempt(client, ciphertext, cmm, reproduced)
            if got == plaintext:
                counts["positives-passed"] += 1
            else:
                failures.append(f"{cmm_name} {name}: {err or 'plaintext differs'}")
        for name, reproduced in test["negatives"].items():
            counts["negatives"] += 1
            got, err = attempt(client, ciphertext, cmm, reproduced)
            if got is None:
                counts["negatives-passed"] += 1
            else:
                failures.append(f"{cmm_name} negative {name}: decrypted")
    return failures, counts


def write(out_dir):
    os.makedirs(os.path.join(out_dir, "ciphertexts"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "plaintexts"), exist_ok=True)
    sizes = sorted({0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME, 2 * FRAME + 1})
    plan = []
    names = list(CONTEXTS)
    for i, suite in enumerate(SUITES):
        full = suite in (0x0478, 0x0578)
        for j, size in enumerate(sizes if full else [0, 1, FRAME, FRAME + 1]):
            for ctx in names if full else [names[(i + j) % len(names)]]:
                plan.append((suite, FRAME, size, ctx))
    for suite, ctx in ((0x0478, "mixed"), (0x0578, "utf8-order"), (0x0178, "all-required")):
        plan.append((suite, 0, 300, ctx))  # non-framed body
    for size in sorted({size for _, _, size, _ in plan}):
        with open(os.path.join(out_dir, "plaintexts", str(size)), "wb") as f:
            f.write(plaintext_of(size))
    tests = {}
    for suite, frame, size, ctx in plan:
        context, required = CONTEXTS[ctx]
        test_id = f"{suite:04X}-frame{frame}-size{size}-{ctx}"
        client = client_for(suite)
        _, cmm = cmms(KEY, required)
        plaintext = plaintext_of(size)
        ciphertext, header = client.encrypt(
            source=plaintext, materials_manager=cmm, encryption_context=context, algorithm=Algorithm.get_by_id(suite), frame_length=frame
        )
        stored = {k for k in header.encryption_context if k != "aws-crypto-public-key"}
        if stored & set(required):
            raise SystemExit(f"{test_id}: a required key is stored in the header")
        test = {
            "suite": f"{suite:04X}",
            "frame-length": frame,
            "plaintext": f"file://plaintexts/{size}",
            "ciphertext": f"file://ciphertexts/{test_id}",
            "key": "aes-256-fixed",
            "encryption-context": context,
            "required-encryption-context-keys": required,
            "reproduced-encryption-context": {k: context[k] for k in required},
            "negatives": negatives(context, required),
        }
        failures, _ = check(test, KEY, ciphertext, plaintext)
        if failures:
            raise SystemExit(f"{test_id}: the writer does not read its own message: {failures}")
        with open(os.path.join(out_dir, "ciphertexts", test_id), "wb") as f:
            f.write(ciphertext)
        tests[test_id] = test
    manifest = {
        "manifest": {"type": "strongroom-required-ec-decrypt", "version": 1},
        "writer": {"name": "aws-encryption-sdk-python", "version": aws_encryption_sdk.__version__, "cmm": "RequiredEncryptionContext over Default, raw AES-256 keyring"},
        "keys": {"aes-256-fixed": KEY},
        "tests": tests,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(json.dumps({"written": len(tests)}))


def read(in_dir):
    with open(os.path.join(in_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    total = {"messages": 0, "positives": 0, "positives-passed": 0, "negatives": 0, "negatives-passed": 0}
    failures = {}
    for test_id, test in manifest["tests"].items():
        key = manifest["keys"][test["key"]]
        with open(os.path.join(in_dir, test["ciphertext"][len("file://"):]), "rb") as f:
            ciphertext = f.read()
        with open(os.path.join(in_dir, test["plaintext"][len("file://"):]), "rb") as f:
            plaintext = f.read()
        bad, counts = check(test, key, ciphertext, plaintext)
        total["messages"] += 1
        for k, v in counts.items():
            total[k] += v
        if bad:
            failures[test_id] = bad
    print(json.dumps({"reader": f"aws-encryption-sdk-python {aws_encryption_sdk.__version__}", **total, "failures": failures}, indent=1, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "read"):
        raise SystemExit(__doc__)
    sys.exit(write(sys.argv[2]) if sys.argv[1] == "write" else read(sys.argv[2]))
