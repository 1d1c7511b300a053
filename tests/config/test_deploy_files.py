"""The production files in deploy/ describe the system as the code builds it (read by an operator, not run here:
no image registry is reachable). The probes they name are checked against the running services in tests/cluster."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IMAGES = {"lobby-guide/rasa", "lobby-guide/actions", "lobby-guide/app"}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def manifests() -> list[dict]:
    return [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]


def workloads() -> list[dict]:
    return [m for m in manifests() if m["kind"] in ("Deployment", "StatefulSet")]


def documented_variables() -> set[str]:
    return set(re.findall(r"LOBBY_[A-Z_]+", (ROOT / "docs" / "configuration.md").read_text()))


def test_compose_builds_one_image_per_environment_from_dockerfiles_in_the_repository():
    services = compose()["services"]
    built = {name: s for name, s in services.items() if "build" in s}
    assert {s["image"] for s in built.values()} == IMAGES
    for name, service in built.items():
        dockerfile = ROOT / service["build"]["dockerfile"]
        assert dockerfile.exists(), f"{name}: {dockerfile} is missing"
        assert "healthcheck" in service or name == "trainer", f"{name} has no health check"
    # two instances of each scaled service, as the cluster tests run them
    for prefix in ("rasa", "actions", "bridge"):
        assert sorted(n for n in services if re.fullmatch(prefix + r"\d", n)) == [f"{prefix}1", f"{prefix}2"]


def test_every_file_a_dockerfile_copies_or_module_it_runs_exists():
    for dockerfile in (DEPLOY / "docker").glob("*.Dockerfile"):
        text = dockerfile.read_text()
        for line in re.findall(r"^COPY (?!\. \.)(.+)$", text, flags=re.M):
            for source in line.split()[:-1]:
                assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which does not exist"
        for module in re.findall(r"python -m ([a-z_.]+)", text) + re.findall(r'"-m", "([a-z_.]+)"', text):
            top = module.split(".")[0]
            assert (ROOT / top).is_dir() or top in {"pip", "rasa_sdk"}, f"{dockerfile.name} runs {module}"


def test_the_bridges_know_every_rasa_instance_by_name():
    services = compose()["services"]
    rasa = [f"http://{n}:5005" for n in services if re.fullmatch(r"rasa\d", n)]
    for name in ("bridge1", "bridge2", "trainer"):
        assert services[name]["environment"]["LOBBY_RASA_URL"].split(",") == rasa
    statefulset = next(w for w in workloads() if w["metadata"]["name"] == "rasa")
    config = next(m for m in manifests() if m["kind"] == "ConfigMap")
    expected = [f"http://rasa-{i}.rasa:5005" for i in range(statefulset["spec"]["replicas"])]
    assert config["data"]["LOBBY_RASA_URL"].split(",") == expected


def test_every_kubernetes_workload_is_ready_only_when_its_health_endpoint_answers():
    for workload in workloads():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert container["image"] in IMAGES
            probe = container.get("readinessProbe", {}).get("httpGet")
            assert probe, f"{workload['metadata']['name']} has no HTTP readiness probe"
            assert probe["port"] in [p["containerPort"] for p in container["ports"]]


def test_every_lobby_variable_the_deployment_sets_is_documented():
    text = "\n".join(p.read_text() for p in [DEPLOY / "docker-compose.yml", *(DEPLOY / "k8s").glob("*.yaml")])
    used = set(re.findall(r"\b(LOBBY_[A-Z_]+)\b", text))
    assert used and not used - documented_variables(), used - documented_variables()


def test_haproxy_accepts_the_compose_configuration():
    check = subprocess.run(["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_haproxy_accepts_the_tls_configuration_with_a_certificate(tmp_path):
    from testkit.tls import self_signed

    pem = self_signed(tmp_path).pem
    config = tmp_path / "haproxy-tls.cfg"
    text = (DEPLOY / "haproxy-tls.cfg").read_text()
    assert "ssl crt /etc/haproxy/tls/guide.pem" in text and "redirect scheme https" in text
    config.write_text(text.replace("/etc/haproxy/tls/guide.pem", str(pem)))
    check = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
