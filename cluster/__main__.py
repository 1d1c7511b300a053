"""`make run-cluster`: the cluster mode on one machine, from the project's own files.

PostgreSQL, Redis and HAProxy from Debian's packages (started as non-root in temporary directories on
free ports), N Rasa instances, N action servers, N bridges and one trainer studio. Ctrl-C stops it all.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from cluster.services import ROOT, VENVS, Cluster
from testkit.dialogue import current_model
from testkit.servers import free_port, wait_healthy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run-cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--rasa", type=int, default=2, metavar="N", help="Rasa instances (default 2)")
    parser.add_argument("--actions", type=int, default=2, metavar="N", help="action servers (default 2)")
    parser.add_argument("--bridges", type=int, default=2, metavar="N", help="avatar bridges (default 2)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "cluster", help="logs (default var/cluster)")
    args = parser.parse_args(argv)
    if min(args.rasa, args.actions, args.bridges) < 1:
        parser.error("each service needs at least one instance")
    try:
        model = current_model()
    except RuntimeError as exc:
        parser.error(str(exc))
    cluster = Cluster(args.workdir, model, args.rasa, args.actions, args.bridges)
    trainer = None
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        cluster.start(say=lambda m: print(f"==> {m}", flush=True))
        trainer_port = free_port()
        trainer_log = args.workdir / "logs" / "trainer.log"
        trainer = subprocess.Popen(
            [str(VENVS / "app" / "bin" / "python"), "-m", "trainer", "serve", "--host", "127.0.0.1", "--port",
             str(trainer_port)],
            stdout=trainer_log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT, env=cluster.env(),
            start_new_session=True,
        )  # fmt: skip
        wait_healthy(f"http://127.0.0.1:{trainer_port}/login", trainer, trainer_log, 60)
        assert cluster.postgres and cluster.redis
        token_file = args.workdir / "rasa_token"  # for tools that call Rasa's HTTP API (owner-only)
        token_file.touch(mode=0o600)
        token_file.write_text(cluster.rasa_token + "\n")
        print(
            f"""
  Lobby Guide cluster is running
    Kiosk page (HAProxy)  {cluster.kiosk_http}/kiosk      websocket {cluster.kiosk_ws}
    Bridges               {", ".join(b.url for b in cluster.bridge)}
    Rasa instances        {", ".join(cluster.rasa_urls)}   (API token in {token_file})
    Action servers        {", ".join(a.url for a in cluster.actions)}  behind HAProxy :{cluster.actions_port}
    PostgreSQL            {cluster.postgres.url}   (conversations, tickets, appointments)
    Redis                 {cluster.redis.url}   (Rasa lock store, bridges' session registry)
    Trainer studio        http://127.0.0.1:{trainer_port}/   (activation reaches every Rasa instance)
    Logs                  {args.workdir / "logs"}
  The data lives in temporary directories and is gone when it stops. Stop: Ctrl-C
""",
            flush=True,
        )
        while not stopping:
            dead = [i.name for i in [*cluster.rasa, *cluster.actions, *cluster.bridge] if not i.running]
            if dead:
                print(f"stopped: {', '.join(dead)} (see {args.workdir / 'logs'}); the others keep serving", flush=True)
                break
            time.sleep(1)
        while not stopping:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("==> stopping", flush=True)
        if trainer is not None:
            trainer.terminate()
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
