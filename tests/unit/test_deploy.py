"""The Kubernetes manifests in deploy/ match the code they run: every queue has a worker and a scaler on the right
Redis list, beat runs once, workers outlive their longest task, every container is bounded and unprivileged, the
settings and the mapping they carry are accepted by the connector, and no Secret holds a real value.

The manifests are rendered with kubectl kustomize (installed with the dev extras); without it these tests skip.
Schema validation of every object is `make deploy-check` (deploy/check_manifests.py).
"""

from __future__ import annotations

import copy
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from packaging.requirements import Requirement

from connector.mapping.config import load_mapping
from connector.settings import RedisSettings, ServiceLayerSettings, ShopifySettings
from tasks.queues import Queue
from workers.celery_app import celery_config
from workers.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "CHANGE-ME"
# The Redis users of the connector's processes (deploy/kubernetes/base/redis/users.acl), each with its own URL.
REDIS_ROLES = ("ingest", "worker", "beat", "flower")


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_manifests", ROOT / "deploy" / "check_manifests.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_manifests", module)
    spec.loader.exec_module(module)
    return module


checker = _load_checker() if importlib.util.find_spec("kubernetes_validate") else None
KUBECTL = checker.find_kubectl() if checker else None
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl and the deploy-check tools are not installed")
OVERLAYS = sorted(path.parent.name for path in ROOT.glob("deploy/kubernetes/overlays/*/kustomization.yaml"))
TASK_TIME_LIMIT = celery_config(RedisSettings())["task_time_limit"]

_renders: dict[str, list[dict[str, Any]]] = {}


def rendered(name: str) -> list[dict[str, Any]]:
    """The objects of deploy/kubernetes/base ("base") or of an overlay, rendered once per test run."""
    if name not in _renders:
        directory = ROOT / "deploy" / "kubernetes" / ("base" if name == "base" else f"overlays/{name}")
        _renders[name] = checker.render(directory, KUBECTL)
    return _renders[name]


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in objects if item["kind"] == kind]


def pod_specs(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec) of every Deployment, StatefulSet and Job."""
    for item in objects:
        if item["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield item, item["spec"]["template"]["spec"]


def workers_by_queue(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    deployments = [item for item in of_kind(objects, "Deployment") if _component(item) == "worker"]
    by_queue = {item["spec"]["template"]["metadata"]["labels"]["shopb1/queue"]: item for item in deployments}
    assert len(by_queue) == len(deployments), "two worker Deployments consume the same queue"
    return by_queue


def generated(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The one ConfigMap generated as `name` (kustomize appends a content hash to the name)."""
    (config_map,) = [item for item in of_kind(objects, "ConfigMap") if item["metadata"]["name"].startswith(name)]
    return config_map


def settings_data(objects: list[dict[str, Any]]) -> dict[str, str]:
    return generated(objects, "shopb1-settings")["data"]


def secret_values(objects: list[dict[str, Any]]) -> dict[str, str]:
    (secret,) = [item for item in of_kind(objects, "Secret") if item["metadata"]["name"] == "shopb1-secrets"]
    return secret.get("stringData", {})


def _component(item: dict[str, Any]) -> str | None:
    return item["metadata"].get("labels", {}).get("app.kubernetes.io/component")


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_every_queue_has_a_worker_and_a_scaler_on_its_redis_list(name):
    objects = rendered(name)
    workers = workers_by_queue(objects)
    assert sorted(workers) == sorted(queue.value for queue in Queue)

    prefix = settings_data(objects)["SHOPB1_REDIS_KEY_PREFIX"]
    # The list KEDA must watch is the broker's own key for the queue (global_keyprefix + queue name).
    broker_prefix = celery_config(RedisSettings(key_prefix=prefix))["broker_transport_options"]["global_keyprefix"]
    scalers = {item["spec"]["scaleTargetRef"]["name"]: item for item in of_kind(objects, "ScaledObject")}
    assert len(scalers) == len(workers)
    for queue, deployment in workers.items():
        scaler = scalers[deployment["metadata"]["name"]]
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] in ("redis", "redis-sentinel")
        assert trigger["metadata"]["listName"] == f"{broker_prefix}{queue}"
        assert 1 <= scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"]


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_each_worker_consumes_only_its_own_queue(name):
    for queue, deployment in workers_by_queue(rendered(name)).items():
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        args = build_parser().parse_args(_expanded_args(container, template["metadata"]))
        assert (args.command, args.queues) == ("worker", queue)
        assert args.name.startswith(f"{queue}@")


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_every_shopb1_container_runs_a_command_the_cli_accepts(name):
    for workload, spec in pod_specs(rendered(name)):
        for container in spec["containers"]:
            if container["image"].split("/")[-1].split(":")[0] != "shopb1":
                continue
            arguments = _expanded_args(container, workload["spec"]["template"]["metadata"])
            build_parser().parse_args(arguments)  # SystemExit on an unknown command or option


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_beat_runs_exactly_once(name):
    objects = rendered(name)
    (beat,) = [item for item in of_kind(objects, "Deployment") if _component(item) == "beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    scaled = {item["spec"]["scaleTargetRef"]["name"] for item in of_kind(objects, "ScaledObject")}
    scaled |= {item["spec"]["scaleTargetRef"]["name"] for item in of_kind(objects, "HorizontalPodAutoscaler")}
    assert beat["metadata"]["name"] not in scaled


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_workers_may_finish_their_longest_task_before_they_are_killed(name):
    for deployment in workers_by_queue(rendered(name)).values():
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > TASK_TIME_LIMIT


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_worker_probes_watch_the_heartbeat_file_and_the_broker(name):
    for deployment in workers_by_queue(rendered(name)).values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {item["name"]: item.get("value") for item in container["env"]}
        heartbeat = env["SHOPB1_WORKER_LIVENESS_FILE"]
        mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert str(Path(heartbeat).parent) in mounts, "the heartbeat file must be on a writable volume"
        assert "$SHOPB1_WORKER_LIVENESS_FILE" in " ".join(container["livenessProbe"]["exec"]["command"])
        assert "inspect ping" in " ".join(container["startupProbe"]["exec"]["command"])


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_every_container_is_bounded_and_unprivileged(name):
    for workload, spec in pod_specs(rendered(name)):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        for container in spec.get("initContainers", []) + spec["containers"]:
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), f"{where}: {bound}"
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert "privileged" not in security, where


@needs_kubectl
def test_the_base_has_no_secret_and_no_overlay_secret_holds_a_real_value():
    assert of_kind(rendered("base"), "Secret") == []
    for name in OVERLAYS:
        objects = rendered(name)
        # Where SAP is the emulator (a Service of the same overlay), its demo company's password is no secret.
        services = {item["metadata"]["name"] for item in of_kind(objects, "Service")}
        emulated_sap = urlsplit(settings_data(objects)["SHOPB1_SAP_URL"]).hostname in services
        demo_values = {"SHOPB1_SAP_PASSWORD": ServiceLayerSettings.password} if emulated_sap else {}
        # A user name, not a secret: KEDA reads every parameter of its TriggerAuthentication from a Secret.
        demo_values["SHOPB1_REDIS_KEDA_USERNAME"] = "keda"
        for secret in of_kind(objects, "Secret"):
            assert "data" not in secret, "encoded values cannot be told from real ones: use stringData placeholders"
            for key, value in secret.get("stringData", {}).items():
                if demo_values.get(key) == value:
                    continue
                assert PLACEHOLDER in value, f"{name}: {secret['metadata']['name']}.{key} is not a placeholder"


@needs_kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_every_secret_key_and_config_map_read_is_supplied(name):
    objects = rendered(name)
    secrets = {item["metadata"]["name"]: set(item.get("stringData", {})) for item in of_kind(objects, "Secret")}
    config_maps = {item["metadata"]["name"] for item in of_kind(objects, "ConfigMap")}
    # Secrets the operator creates by hand (deploy/README.md); mounted, never read as variables.
    created_by_hand = {"shopb1-sap-ca"}
    for workload, spec in pod_specs(objects):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        for container in spec["containers"]:
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference and not reference.get("optional"):
                    assert reference["key"] in secrets.get(reference["name"], set()), f"{where}: {variable['name']}"
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps, where
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, where
            if "secret" in volume:
                assert volume["secret"]["secretName"] in created_by_hand | set(secrets), where
    for authentication in of_kind(objects, "TriggerAuthentication"):
        for reference in authentication["spec"]["secretTargetRef"]:
            assert reference["key"] in secrets.get(reference["name"], set())


@needs_kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_the_settings_and_the_mapping_are_accepted_by_the_connector(name, tmp_path):
    objects = rendered(name)
    environ = {**settings_data(objects), **secret_values(objects)}
    # The CA bundle is a file mounted from a Secret made by hand; its path is checked here, its content cannot be.
    environ.pop("SHOPB1_SAP_CA_BUNDLE", None)
    ServiceLayerSettings.from_env(environ)
    ShopifySettings.from_env(environ)
    for role in REDIS_ROLES:
        RedisSettings.from_env({**environ, "SHOPB1_REDIS_URL": environ[f"SHOPB1_REDIS_{role.upper()}_URL"]})

    mapping = generated(objects, "shopb1-mapping")
    mount_path = Path(environ["SHOPB1_MAPPING_FILE"])
    assert list(mapping["data"]) == [mount_path.name]
    copy_of_file = tmp_path / mount_path.name
    copy_of_file.write_text(mapping["data"][mount_path.name])
    load_mapping(copy_of_file)


@needs_kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_keda_watches_the_redis_the_workers_use(name):
    objects = rendered(name)
    url = urlsplit(secret_values(objects)["SHOPB1_REDIS_WORKER_URL"])
    settings = settings_data(objects)
    namespaces = {item["metadata"].get("namespace") for item in objects if item["kind"] != "Namespace"}
    for scaler in of_kind(objects, "ScaledObject"):
        trigger = scaler["spec"]["triggers"][0]
        metadata = trigger["metadata"]
        if "SHOPB1_REDIS_SENTINELS" in settings:
            # Under Sentinel, KEDA asks the workers' sentinels for the same master; the URL keeps the database.
            assert trigger["type"] == "redis-sentinel"
            assert metadata["addresses"] == settings["SHOPB1_REDIS_SENTINELS"]
            assert metadata["sentinelMaster"] == settings["SHOPB1_REDIS_SENTINEL_MASTER"]
            assert metadata["databaseIndex"] == (url.path.strip("/") or "0")
            continue
        assert trigger["type"] == "redis"
        host, port = metadata["address"].rsplit(":", 1)
        assert host.split(".")[0] == url.hostname.split(".")[0]
        assert int(port) == (url.port or 6379)
        assert metadata["databaseIndex"] == (url.path.strip("/") or "0")
        assert (metadata.get("enableTLS") == "true") == (url.scheme == "rediss")
        if "." not in url.hostname:
            # An in-cluster Service: KEDA's operator lives in another namespace and needs the namespaced name.
            assert host.split(".")[1:] == [*namespaces, "svc"]


@needs_kubectl
@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_each_selector_picks_exactly_one_workload(name):
    objects = rendered(name)
    workloads = [item for item in objects if item["kind"] in ("Deployment", "StatefulSet")]
    budgets = of_kind(objects, "PodDisruptionBudget")
    selectors = [item["spec"]["selector"]["matchLabels"] for item in workloads + budgets]
    selectors += [item["spec"]["selector"] for item in of_kind(objects, "Service")]
    for selector in selectors:
        chosen = [
            item["metadata"]["name"]
            for item in workloads
            if selector.items() <= item["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(chosen) == 1, f"{selector} selects {chosen}"


@needs_kubectl
def test_the_manifest_checker_refuses_unknown_fields_and_unknown_kinds():
    objects = rendered("base")
    (ingest,) = [item for item in of_kind(objects, "Deployment") if _component(item) == "ingest"]
    misspelt = copy.deepcopy(ingest)
    misspelt["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    assert any("'resource' was unexpected" in error for error in checker.object_errors(misspelt))

    scaler = copy.deepcopy(of_kind(objects, "ScaledObject")[0])
    scaler["spec"]["minReplicas"] = 1
    scaler["spec"]["triggers"][0]["metadata"]["listname"] = "shopb1.orders"
    errors = list(checker.object_errors(scaler))
    assert any("'minReplicas' was unexpected" in error for error in errors)
    assert any("'listname' was unexpected" in error for error in errors)

    assert list(checker.object_errors({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {}}))


def test_the_image_lock_pins_every_runtime_dependency():
    pins = {}
    for line in (ROOT / "deploy" / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not pinned with =="
            pins[_normalised(name)] = version
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dependency in map(Requirement, dependencies):
        version = pins.get(_normalised(dependency.name))
        assert version is not None, f"{dependency.name} is missing from deploy/requirements.lock: run `make lock`"
        assert dependency.specifier.contains(version), f"{dependency} excludes the pinned {version}: run `make lock`"
    # The image builds the project from the lock without build isolation (deploy/Dockerfile).
    assert {"pip", "setuptools", "wheel"} <= set(pins)


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _expanded_args(container: dict[str, Any], pod_metadata: dict[str, Any]) -> list[str]:
    """The container's arguments with $(VAR) references resolved as the kubelet would, from its env."""
    values = {}
    for variable in container.get("env", []):
        field = variable.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")
        label = re.fullmatch(r"metadata\.labels\['(.+)'\]", field)
        if label:
            values[variable["name"]] = pod_metadata["labels"][label[1]]
        elif field == "metadata.name":
            values[variable["name"]] = "shopb1-pod-0"
        elif "value" in variable:
            values[variable["name"]] = variable["value"]
    return [re.sub(r"\$\((\w+)\)", lambda match: values[match[1]], argument) for argument in container["args"]]


# --- least privilege: probes, the network, Redis users, the Ingress -----------------------------------------


@needs_kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_probes_are_where_checkov_is_told_they_are(name):
    """deploy/checkov.yaml skips checkov's probe checks because this test holds the rule: what serves traffic is
    ready-checked, every long-running process but beat is watched for liveness, Jobs end by themselves."""
    for workload, spec in pod_specs(rendered(name)):
        component = _component(workload)
        for container in spec["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            if workload["kind"] == "Job":
                assert workload["spec"]["activeDeadlineSeconds"] > 0, where
            elif component == "worker":
                assert "startupProbe" in container and "livenessProbe" in container, where
            elif component != "beat":
                assert "readinessProbe" in container and "livenessProbe" in container, where


def _policies(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return of_kind(objects, "NetworkPolicy")


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and In expressions) picks a pod with these labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    return all(
        expression["operator"] == "In" and labels.get(expression["key"]) in expression["values"]
        for expression in selector.get("matchExpressions", [])
    )


def _allowed_peers(objects: list[dict[str, Any]], component: str, direction: str) -> list[dict[str, Any]]:
    """Every peer some policy lets talk to (ingress) or be reached from (egress) the pods of a component."""
    labels = {"app.kubernetes.io/name": "shopb1", "app.kubernetes.io/component": component}
    peers = []
    for policy in _policies(objects):
        if _selects(policy["spec"]["podSelector"], labels) and direction.capitalize() in policy["spec"]["policyTypes"]:
            for rule in policy["spec"].get(direction, []):
                peers += rule.get("from" if direction == "ingress" else "to", [])
    return peers


@needs_kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_everything_is_denied_but_what_a_policy_allows(name):
    objects = rendered(name)
    (deny,) = [policy for policy in _policies(objects) if policy["metadata"]["name"] == "shopb1-default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    # Flower: nothing may connect to it (operators use kubectl port-forward).
    assert _allowed_peers(objects, "flower", "ingress") == []
    # The ingest: the ingress controller and Prometheus, from their namespaces (and in staging the store emulator).
    namespaces = {peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                  for peer in _allowed_peers(objects, "ingest", "ingress")}  # fmt: skip
    assert namespaces <= {"ingress-nginx", "monitoring", None}
    for peer in _allowed_peers(objects, "ingest", "ingress"):
        if "namespaceSelector" not in peer:
            assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "shopify-emulator"


@needs_kubectl
@pytest.mark.parametrize("name", ["example", "staging"])
def test_redis_takes_connections_from_shopb1_processes_and_keda_only(name):
    objects = rendered(name)
    for peer in _allowed_peers(objects, "redis", "ingress"):
        if "namespaceSelector" in peer:
            assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "keda"}
            assert peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "keda-operator"}
            continue
        # shopb1's own processes, by component: never a pod of another app, nor a component not named.
        selector = peer["podSelector"]
        assert not _selects(selector, {"app.kubernetes.io/name": "other", "app.kubernetes.io/component": "worker"})
        assert not _selects(selector, {"app.kubernetes.io/name": "shopb1", "app.kubernetes.io/component": "other"})
    worker = {"app.kubernetes.io/name": "shopb1", "app.kubernetes.io/component": "worker"}
    assert any(_selects(peer.get("podSelector", {}), worker) for peer in _allowed_peers(objects, "redis", "ingress"))
    for component in ("ingest", "worker", "beat", "flower"):
        assert _allowed_peers(objects, component, "egress"), f"{component} cannot reach Redis"


def _acl_users() -> dict[str, str]:
    """The users of deploy/kubernetes/base/redis/users.acl and their rules."""
    users = {}
    for line in (ROOT / "deploy/kubernetes/base/redis/users.acl").read_text().splitlines():
        if line.startswith("user "):
            _, name, rules = line.split(" ", 2)
            users[name] = rules
    return users


@needs_kubectl
@pytest.mark.parametrize("name", OVERLAYS)
def test_each_process_logs_in_to_redis_as_its_own_user(name):
    objects = rendered(name)
    users, secrets = _acl_users(), secret_values(objects)
    assert users["default"].startswith("off ")
    for workload, spec in pod_specs(objects):
        for container in spec["containers"]:
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef", {})
                if variable["name"] == "SHOPB1_REDIS_URL":
                    role = re.fullmatch(r"SHOPB1_REDIS_(\w+)_URL", reference["key"]).group(1).lower()
                    assert role in users, f"{workload['metadata']['name']} uses an unknown Redis user"
                    assert urlsplit(secrets[reference["key"]]).username == role
    (redis_set,) = [item for item in of_kind(objects, "StatefulSet") if _component(item) == "redis"] or [None]
    if redis_set is not None:
        (container,) = redis_set["spec"]["template"]["spec"]["containers"]
        given = {variable["name"] for variable in container["env"]}
        assert {f"SHOPB1_REDIS_{user.upper()}_PASSWORD" for user in users if user != "default"} <= given
        assert "--requirepass" not in container["args"]
    (authentication,) = of_kind(objects, "TriggerAuthentication")
    keys = {reference["parameter"]: reference["key"] for reference in authentication["spec"]["secretTargetRef"]}
    assert secrets[keys["username"]] == "keda" and "keda" in users


@needs_kubectl
def test_the_ingress_takes_the_bodies_the_ingest_takes_and_limits_each_client():
    from connector.ingest.app import DEFAULT_MAX_BODY_BYTES

    (ingress,) = of_kind(rendered("example"), "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == f"{DEFAULT_MAX_BODY_BYTES // 2**20}m"
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert int(annotations["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    assert int(annotations["nginx.ingress.kubernetes.io/limit-rps"]) > 0
