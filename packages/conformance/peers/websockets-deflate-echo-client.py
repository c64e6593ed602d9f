# Python websockets (Debian's 10.4) with permessage-deflate offered (its default), as the command of
# `http-kit-conformance websocket-client`: connects to $CONFORMANCE_URL and echoes every message.
# Usage: --command '/usr/bin/python3 peers/websockets-deflate-echo-client.py'
import asyncio
import os

import websockets


async def main():
    try:
        async with websockets.connect(os.environ["CONFORMANCE_URL"], max_size=2**25) as ws:
            async for message in ws:
                await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass


asyncio.run(main())
