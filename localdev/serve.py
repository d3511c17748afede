"""`chalice local` with a listen backlog for parallel clients.

chalice's ThreadedHTTPServer keeps socketserver's default backlog of 5 pending connections: a burst of a dozen
parallel requests (a till catching up, the race test against `make run`) overflows it and some connections are
reset before a thread accepts them. API Gateway queues them; so does this server, up to 128.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 128

if __name__ == "__main__":
    sys.argv[0] = "chalice"
    sys.exit(main())
