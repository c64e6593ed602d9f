# Python websockets (Debian's python3-websockets) as an echo server, for
# `http-kit-conformance websocket-server` (README results). Usage: /usr/bin/python3 websockets-echo.py 9102
# max_size as websockets' own Autobahn setup has it (2**25); compression is on by default.
import asyncio
import sys

from websockets.server import serve  # the legacy API: Debian ships websockets 10.4


async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)


async def main():
    async with serve(echo, "127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 9102, max_size=2**25):
        print("websockets echo ready", flush=True)
        await asyncio.get_running_loop().create_future()


asyncio.run(main())
