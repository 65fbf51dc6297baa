import _gilsim_io


class HTTPError(Exception):
    pass


class Response:
    def __init__(self, url, status_code, elapsed):
        self.url = url
        self.status_code = status_code
        self.ok = status_code < 400
        self.elapsed = elapsed
        self.text = f"simulated response from {url}"

    def json(self):
        return {"url": self.url, "status": self.status_code}

    def raise_for_status(self):
        if not self.ok:
            raise HTTPError(f"{self.status_code} Error for url: {self.url}")


def get(url, params=None, timeout=None, **kwargs):
    status, elapsed = _gilsim_io.http_get(url)
    return Response(url, status, elapsed)
