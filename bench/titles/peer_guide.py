"""Python peers of `cafe titles` (see bench/README.md, "cafe titles"): the guide's two
scripts, made to read a URL list, plus the async one on httpx instead of aiohttp.

Usage: peer_guide.py aiohttp|aiohttp-str|httpx|sync FILE CONCURRENCY

Each prints the guide's `'Title' from URL` lines in input order. The fetching code is the
guide's, unchanged but for one asyncio.Semaphore(CONCURRENCY) around each fetch (the guide
gathers every URL at once, which at thousands of URLs opens more sockets than any server
allows) and one shared client per run: aiohttp.ClientSession in the guide, httpx.AsyncClient
here, and for the sync script a bare requests.get per URL, as in the guide.

The guide returns `soup.title.string`, a NavigableString that keeps its whole parse tree
alive (~0.5 MB for a 30 KB page) until gather returns: memory and garbage-collector work
grow with the number of URLs. `aiohttp-str` is the same script returning
`str(soup.title.string)`, to show what that costs.
"""

import asyncio
import sys

from bs4 import BeautifulSoup


def parse_title(html):
    soup = BeautifulSoup(html, "html.parser")
    return soup.title.string


def parse_title_copy(html):
    return str(parse_title(html))


async def get_title_aiohttp(session, sem, url, title_of):
    import aiohttp

    async with sem:
        try:
            async with session.get(url) as response:
                response.raise_for_status()
                html = await response.text()
                return title_of(html)
        except aiohttp.ClientError as e:
            return f"Error fetching {url}: {e}"


async def get_title_httpx(client, sem, url):
    import httpx

    async with sem:
        try:
            response = await client.get(url)
            response.raise_for_status()
            return parse_title(response.text)
        except httpx.HTTPError as e:
            return f"Error fetching {url}: {e}"


async def main_async(kind, urls, concurrency):
    sem = asyncio.Semaphore(concurrency)
    if kind.startswith("aiohttp"):
        import aiohttp

        title_of = parse_title_copy if kind == "aiohttp-str" else parse_title

        # aiohttp's default connector caps connections at 100: give it the same limit.
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            tasks = [get_title_aiohttp(session, sem, url, title_of) for url in urls]
            return await asyncio.gather(*tasks)
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=15) as client:
        tasks = [get_title_httpx(client, sem, url) for url in urls]
        return await asyncio.gather(*tasks)


def get_title(url):
    import requests

    try:
        response = requests.get(url)
        response.raise_for_status()
        return parse_title(response.text)
    except requests.RequestException as e:
        return f"Error fetching {url}: {e}"


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("aiohttp", "aiohttp-str", "httpx", "sync"):
        sys.exit("usage: peer_guide.py aiohttp|aiohttp-str|httpx|sync FILE CONCURRENCY")
    kind, path, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path) as f:
        urls = [line.strip() for line in f if line.strip()]
    if kind == "sync":
        results = [get_title(url) for url in urls]
    else:
        results = asyncio.run(main_async(kind, urls, concurrency))
    for result, url in zip(results, urls):
        print(f"'{result}' from {url}")


if __name__ == "__main__":
    main()
