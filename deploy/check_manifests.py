"""`make deploy-check`: render every kustomization under deploy/kubernetes and validate each object offline.

Kubernetes kinds are checked with kubernetes-validate's bundled schemas in strict mode (unknown fields are
errors) for the oldest and the newest Kubernetes version we claim. KEDA's kinds are checked against a JSON
schema derived from KEDA's CRDs (the models of cloudcoil-models-keda), made strict the same way, plus a schema
of the redis trigger's metadata, which the CRD leaves as a free map of strings. An object whose kind has no
schema is an error, never a silent pass.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUSTOMIZE_ROOT = Path(__file__).resolve().parent / "kubernetes"
# The oldest Kubernetes release the manifests are meant for, and the newest whose schemas the validator ships.
KUBERNETES_VERSIONS = ("1.30", "1.37")

# The redis (lists) scaler's metadata parameters, from KEDA's documentation of that scaler. Every value is a
# string; a misspelt key would otherwise be ignored by KEDA and leave the scaler on its defaults.
REDIS_TRIGGER_METADATA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["listName", "listLength"],
    "oneOf": [{"required": ["address"]}, {"required": ["host", "port"]}, {"required": ["addressFromEnv"]}],
    "properties": {
        "address": {"type": "string", "pattern": r"^[^:/\s]+:\d+$"},
        "host": {"type": "string"},
        "port": {"type": "string", "pattern": r"^\d+$"},
        "addressFromEnv": {"type": "string"},
        "hostFromEnv": {"type": "string"},
        "portFromEnv": {"type": "string"},
        "usernameFromEnv": {"type": "string"},
        "passwordFromEnv": {"type": "string"},
        "listName": {"type": "string", "minLength": 1},
        "listLength": {"type": "string", "pattern": r"^[1-9]\d*$"},
        "activationListLength": {"type": "string", "pattern": r"^\d+$"},
        "databaseIndex": {"type": "string", "pattern": r"^\d+$"},
        "enableTLS": {"enum": ["true", "false"]},
        "unsafeSsl": {"enum": ["true", "false"]},
    },
}

# The redis-sentinel scaler (KEDA's "Redis Lists (supports Redis Sentinel)" page): the sentinels' addresses and
# the master's name instead of one address; the list parameters as above.
_SENTINEL_ONLY = {"addresses", "sentinelMaster", "sentinelMasterFromEnv", "sentinelUsernameFromEnv",
                  "sentinelPasswordFromEnv", "addressesFromEnv"}  # fmt: skip
REDIS_SENTINEL_TRIGGER_METADATA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["listName", "listLength"],
    "allOf": [
        {"oneOf": [{"required": ["addresses"]}, {"required": ["addressesFromEnv"]}]},
        {"oneOf": [{"required": ["sentinelMaster"]}, {"required": ["sentinelMasterFromEnv"]}]},
    ],
    "properties": {
        **{name: spec for name, spec in REDIS_TRIGGER_METADATA["properties"].items()  # type: ignore[attr-defined]
           if name not in ("address", "host", "port", "addressFromEnv", "hostFromEnv", "portFromEnv")},
        **{name: {"type": "string", "minLength": 1} for name in _SENTINEL_ONLY},
        "addresses": {"type": "string", "pattern": r"^[^:/\s,]+:\d+(,[^:/\s,]+:\d+)*$"},
    },
}  # fmt: skip
TRIGGER_METADATA = {"redis": REDIS_TRIGGER_METADATA, "redis-sentinel": REDIS_SENTINEL_TRIGGER_METADATA}


def kustomizations(root: Path = KUSTOMIZE_ROOT) -> list[Path]:
    """The directories meant to be applied: the base and every overlay (components and parts are inside them)."""
    return [root / "base", *sorted(path.parent for path in root.glob("overlays/*/kustomization.yaml"))]


def find_kubectl(explicit: str | None = None) -> str | None:
    """kubectl from the option, else the one installed next to this Python (make setup), else from PATH."""
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.exists() else shutil.which("kubectl")


def render(directory: Path, kubectl: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed:\n{result.stderr.strip()}")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def _strict(schema: Any) -> Any:
    """Like kubernetes-validate --strict: objects refuse unknown keys, and null is no value of any field."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _strict(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    options = schema.get("anyOf")
    if options is not None:
        options = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        if len(options) == 1:
            schema.update(options[0])
        else:
            schema["anyOf"] = options
    return schema


@functools.cache
def keda_validators() -> dict[str, jsonschema.protocols.Validator]:
    from cloudcoil.models.keda import v1alpha1

    validators = {}
    for model in (v1alpha1.ScaledObject, v1alpha1.TriggerAuthentication):
        schema = _strict(model.model_json_schema(by_alias=True))
        schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
        validators[model.__name__] = jsonschema.Draft202012Validator(schema)
    return validators


def keda_version() -> str:
    return importlib.metadata.version("cloudcoil.models.keda")


def object_errors(document: dict[str, Any], versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> Iterator[str]:
    """Every schema error of one rendered object, each prefixed with what failed."""
    kind, api_version = document.get("kind"), document.get("apiVersion", "")
    if api_version.startswith("keda.sh/"):
        validator = keda_validators().get(kind)
        if validator is None:
            yield f"no KEDA schema for {kind}"
            return
        for error in validator.iter_errors(document):
            yield f"KEDA {keda_version()} schema: {_path('', error)}: {error.message}"
        for index, trigger in enumerate(document.get("spec", {}).get("triggers", [])):
            schema = TRIGGER_METADATA.get(trigger.get("type"))
            if schema is None:
                yield (f"spec.triggers.{index}.type: only the {' and '.join(TRIGGER_METADATA)} scalers are checked "
                       f"here, got {trigger.get('type')!r}")  # fmt: skip
                continue
            checker = jsonschema.Draft202012Validator(schema)
            for error in checker.iter_errors(trigger.get("metadata", {})):
                yield f"{trigger['type']} trigger: {_path(f'spec.triggers.{index}.metadata', error)}: {error.message}"
        return
    for version in versions:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            yield f"Kubernetes {version} schema: {_path('', error)}: {error.message}"
        except kubernetes_validate.SchemaNotFoundError as error:
            yield error.message


def _path(prefix: str, error: jsonschema.ValidationError) -> str:
    """Where in the object the error is, e.g. spec.template.spec.containers.0."""
    return ".".join([part for part in [prefix] if part] + [str(part) for part in error.absolute_path]) or "(top)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubectl", help="kubectl binary (default: the one beside this Python, else PATH)")
    parser.add_argument("directories", nargs="*", type=Path, help="kustomizations (default: base and overlays)")
    parser.add_argument("--write", type=Path, help="also write each overlay's rendering to DIR/<name>.yaml (checkov)")
    args = parser.parse_args(argv)
    kubectl = find_kubectl(args.kubectl)
    if kubectl is None:
        print("deploy-check: no kubectl found; `make setup` installs it into .venv", file=sys.stderr)
        return 2
    failures = checked = 0
    for directory in args.directories or kustomizations():
        try:
            documents = render(directory, kubectl)
        except RuntimeError as error:
            print(f"FAIL {error}", file=sys.stderr)
            failures += 1
            continue
        # The base is never applied alone (no namespace, no image tag): only what an overlay applies is linted.
        if args.write and directory.parent.name == "overlays":
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / f"{directory.name}.yaml").write_text(yaml.safe_dump_all(documents, sort_keys=False))
        for document in documents:
            checked += 1
            name = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
            for message in object_errors(document):
                failures += 1
                print(f"FAIL {directory.name}: {name}: {message}", file=sys.stderr)
    versions = " and ".join(KUBERNETES_VERSIONS)
    print(
        f"deploy-check: {checked} objects rendered, {failures} problems "
        f"(Kubernetes {versions} strict schemas of kubernetes-validate "
        f"{importlib.metadata.version('kubernetes-validate')}, KEDA {keda_version()} CRD schema)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
