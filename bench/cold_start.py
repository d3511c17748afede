"""Cold start: what a new Lambda container pays before and on its first request (issue 11).

    python -m bench.cold_start [--runs N] [--root PATH]

1. `import app` against the bare stack (`import chalice, boto3, pynamodb`): N fresh interpreters each, alternating,
   the median and the best of each, and the ratio.
2. The first request of a fresh process against its tenth, for GET /v1/me (a member's token) and POST
   /v1/transactions (a partner's key): each measured in fresh processes (N of them) that import the app and send
   the same request ten times; twice: as the API's Lambda function (_HANDLER=app.app: app.py prepares, in the
   init, what the first request would build: routes, DynamoDB client, the member pool's keys), and as anything
   else importing app.py (chalice local, tests: nothing prepared). The init (import app, and the preparing) is timed.
   The measured process must not be warmed by the setup (a programme, a partner, a
   member signed in), so moto runs here, in this process, as the embedded AWS of `make run` (its server on
   127.0.0.1) and the measured processes reach it over HTTP (AWS_ENDPOINT_URL), with nothing but the app loaded.

`--root` measures another checkout's code (e.g. the unchanged main) with this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import median
from typing import Any

BARE = "import chalice, boto3, pynamodb"
APP = "import app"
REQUESTS = ("GET /v1/me", "POST /v1/transactions")


def timed_import(root: Path, statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=_env(root), capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, **extra, "PYTHONPATH": str(root), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules are cached, as in a Lambda package
    return env


def imports(root: Path, runs: int) -> None:
    timed_import(root, APP)  # compile the modules once (a deployment package ships them compiled)
    bare: list[float] = []
    full: list[float] = []
    for _ in range(runs):
        bare.append(timed_import(root, BARE))
        full.append(timed_import(root, APP))
    print(f"import, {runs} fresh processes each: median (best)")
    print(f"  {BARE:<32} {median(bare):7.1f} ms ({min(bare):.1f})")
    print(f"  {APP:<32} {median(full):7.1f} ms ({min(full):.1f})")
    print(f"  ratio {median(full) / median(bare):.2f} (best {min(full) / min(bare):.2f})")


def first_requests(root: Path, runs: int) -> None:
    sys.path.insert(0, str(root))
    from bench import prepare

    prepare()
    from localdev.emulator import SerialisedMotoServer

    with SerialisedMotoServer("127.0.0.1", 0) as server, _served:
        os.environ["AWS_ENDPOINT_URL"] = server.url
        seeded, child_env = _seed()
        print("first request of a fresh process against its tenth (ms, median of", runs, "processes)")
        for lambda_init in (True, False):
            print("  as the API's Lambda function (_HANDLER=app.app)" if lambda_init else "  not in Lambda")
            env = {**child_env, "_HANDLER": "app.app"} if lambda_init else child_env
            for name in REQUESTS:
                series = [_child(root, name, seeded, env) for _ in range(runs)]
                init = median(s[0] for s in series)
                first = median(s[1] for s in series)
                tenth = median(s[10] for s in series)
                figures = f"init {init:6.1f}  1st {first:6.1f}  10th {tenth:5.1f}  difference {first - tenth:6.1f}"
                print(f"    {name:<22} {figures}")


def _seed() -> tuple[dict[str, str], dict[str, str]]:
    """A programme, a partner with a key, a member signed in: written through the app, in this process."""
    from bench import coalition_app, member_pool
    from tests.support.aws import ADMIN_KEY, make_settings

    pool = _served.enter_context(member_pool())  # the pool's keys stay served until the run ends
    settings = make_settings(**pool, config_cache_seconds=300)
    with coalition_app(settings) as coalition:
        key = coalition.partner("shop")
        member = coalition.member(key)
        assert coalition.purchase(key, member, "1.00").status == 201
        token = member.token
    env = {
        "STAGE": "local",
        "AWS_REGION": settings.region,
        "COALITION_ADMIN_KEY": ADMIN_KEY,
        "PII_HMAC_KEY": settings.pii_hmac_key.get_secret_value(),
        "MEMBER_USER_POOL_ID": pool["member_user_pool_id"],
        "MEMBER_APP_CLIENT_ID": pool["member_app_client_id"],
        "MEMBER_JWKS_URL": pool["member_jwks_url"],
        "CONFIG_CACHE_SECONDS": "300",
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
    }
    return {"key": key, "token": token, "member_id": member.member_id}, env


_served = ExitStack()
_runs = iter(range(1_000_000))


def _child(root: Path, name: str, seeded: dict[str, str], env: dict[str, str]) -> list[float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--root", str(root)],
        input=json.dumps({**seeded, "run": next(_runs)}),
        cwd=root,
        env=_env(root, **env),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    timings: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return timings


def child(name: str) -> None:
    """In a fresh process: import the app (its container built from the environment, as in Lambda), then the
    same request ten times; prints the import's time and the ten latencies."""
    seeded = json.loads(sys.stdin.read())
    from chalice.test import Client

    started = time.perf_counter()
    import app as application

    init = (time.perf_counter() - started) * 1000

    def send(client: Any, n: int) -> Any:
        if name == "GET /v1/me":
            return client.http.get("/v1/me", headers={"Authorization": f"Bearer {seeded['token']}"})
        body = {
            "transaction_id": f"cold-{seeded['run']}-{n}",
            "member": {"member_id": seeded["member_id"]},
            "amount": "9.99",
            "currency": "EUR",
            "occurred_at": "2026-11-23T09:00:00Z",
            "channel": "store",
        }
        headers = {"Authorization": f"Bearer {seeded['key']}", "Content-Type": "application/json"}
        return client.http.post("/v1/transactions", headers=headers, body=json.dumps(body))

    timings = [init]
    with Client(application.app, stage_name="local") as client:
        os.environ["CONFIG_CACHE_SECONDS"] = "300"  # the stage's 2 s could run out on a loaded machine
        for n in range(10):
            started = time.perf_counter()
            response = send(client, n)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 201), response.body
    print(json.dumps(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--child")
    parser.add_argument("--skip-imports", action="store_true")
    args = parser.parse_args()
    root = args.root.resolve()
    if args.child:
        sys.path.insert(0, str(root))
        child(args.child)
        return
    print(f"code measured: {root}")
    if not args.skip_imports:
        imports(root, args.runs)
    first_requests(root, args.runs)


if __name__ == "__main__":
    main()
