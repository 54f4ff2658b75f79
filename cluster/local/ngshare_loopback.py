# Starts ngshare exactly as its console script does, except that it listens on 127.0.0.1:
# ngshare 0.6.0 hard-codes 0.0.0.0 when run as a hub service and has no flag to change it.
import sys

import ngshare.ngshare as ngshare_module

_HTTPServer = ngshare_module.HTTPServer


class LoopbackHTTPServer(_HTTPServer):
    def listen(self, port, address="", **kwargs):
        super().listen(port, "127.0.0.1", **kwargs)


ngshare_module.HTTPServer = LoopbackHTTPServer

if __name__ == "__main__":
    ngshare_module.main(sys.argv[1:])
