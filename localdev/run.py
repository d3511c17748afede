"""`make run`: the embedded AWS (moto's server, one call at a time: localdev/emulator.py) on 127.0.0.1, tables
from infra/, a demo coalition, and the API served by `chalice local` on 127.0.0.1:8000. Ctrl-C stops everything."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from localdev.members import LocalPool

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def local_environment(moto_port: int) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": f"http://{HOST}:{moto_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "STAGE": "local",
        "COALITION_ADMIN_KEY": os.environ.get("COALITION_ADMIN_KEY") or f"admin_{secrets.token_hex(12)}",
        "PII_HMAC_KEY": os.environ.get("PII_HMAC_KEY") or secrets.token_hex(16),
    }


def local_member_pool(moto_url: str, region: str) -> LocalPool:
    """The member user pool, created in the embedded AWS from infra/ as the stack creates it on AWS; saved to
    .local/member-pool.json, where `python -m localdev.members` finds it."""
    from localdev.infra import create_member_pool

    created = create_member_pool(region)
    pool = LocalPool(moto_url, region, created.user_pool_id, created.app_client_id)
    pool.save()
    return pool


def main() -> int:
    from localdev.emulator import SerialisedMotoServer

    moto_port = int(os.environ.get("MOTO_PORT", "5055"))
    api_port = int(os.environ.get("PORT", "8000"))
    env = local_environment(moto_port)
    os.environ.update(env)

    server = SerialisedMotoServer(HOST, moto_port).start()  # one AWS call at a time, as AWS applies each atomically
    print(f"embedded AWS (moto) on {server.url}")
    try:
        pool = local_member_pool(server.url, env["AWS_REGION"])
        env.update(pool.api_environment())
        os.environ.update(env)
        from chalicelib.settings import Settings
        from localdev.infra import create_all
        from localdev.seed import print_guide, seed_demo, summary

        settings = Settings.from_env()
        create_all(settings)
        demo = seed_demo(settings, pool)
        print("\n".join(summary(demo)), flush=True)
        print_guide(demo, settings, pool, f"http://{HOST}:{api_port}")
        chalice = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localdev.serve",  # chalice local, with a backlog for parallel clients
                "local",
                "--host",
                HOST,
                "--port",
                str(api_port),
                "--stage",
                "local",
                "--no-autoreload",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        try:
            return chalice.wait()
        except KeyboardInterrupt:
            chalice.send_signal(signal.SIGINT)
            chalice.wait(timeout=10)
            return 0
    finally:
        server.stop()
        print("stopped")


if __name__ == "__main__":
    sys.exit(main())
