"""A stand-in for `requests` so the scenarios run under python3 without a network.

gilsim never uses this file: it has its own simulated `requests`. Under python3 the
scenarios put this folder on PYTHONPATH; `get` sleeps a little (releasing the GIL, as a
real request does) and answers 200.
"""
import time


class Response:
    def __init__(self, url, status_code):
        self.url = url
        self.status_code = status_code
        self.ok = status_code < 400
        self.text = f"simulated response from {url}"

    def json(self):
        return {"url": self.url, "status": self.status_code}


def get(url, params=None, timeout=None, **kwargs):
    time.sleep(0.001)
    return Response(url, 200)
