"""A registered console for tests in other languages: starts the vCenter
and AWS doubles and a console in test mode, claims it and registers it
through its own wizard (regflow), prints one JSON line (origin, password,
root, the AWS double's url, ca and control, and the environment a job of
this console needs), then serves until its standard input closes, and
stops everything.

usage: python3 tests/e2e/regserve.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PASSWORD  # noqa: E402
from regflow import Env, Wizard  # noqa: E402


def main():
    env = Env()
    try:
        env.start()
        r = Wizard(env).run_all()
        if r.status != 303:
            raise RuntimeError("registration failed: %r" % r)
        print(json.dumps({"origin": env.inst.origin, "password": PASSWORD,
                          "root": env.inst.root, "aws": env.aws.info,
                          "job_env": env.aws.env()}), flush=True)
        sys.stdin.read()
    finally:
        env.stop()


if __name__ == "__main__":
    main()
