"""Pure, synchronous wire formats: bytes in, values out.

Nothing here imports aiohttp, aiosqlite or the layers above (tests/test_layers.py checks it).
"""
