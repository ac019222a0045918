"""Fetch the latest published data over HTTP into the local data directory, safely.

Headless (no Textual): the CLI (``crimefighters fetch``) and the TUI both call one function::

    from crimefighters.fetch import fetch_all

    result = fetch_all(
        loaded,                 # LoadedConfig from crimefighters.config.load_config()
        data_dir,               # Path | str | None; None: config sources.data_dir ("data")
        sources=None,           # names to fetch (default all): mps-borough-24m, mps-ward-24m, police-uk
        months=None,            # data.police.uk months "YYYY-MM"; None: sources.police_uk.months,
                                # or the latest published
        dry_run=False,          # True: no network, no writes; result.outcomes say what would happen
        progress=callback,      # called with a FetchEvent (kind, label, target, received, total,
                                # message) on start / progress / retry / done / unchanged /
                                # skipped / failed; from the calling thread
        cancel=None,            # threading.Event; set it to stop between chunks (FetchCancelled)
    ) -> FetchResult

``FetchResult.outcomes`` has one ``FileOutcome`` per file (status planned / fetched / unchanged
/ skipped / failed, target, detail); ``result.changed`` says whether to reload the data;
``result.summary()`` is one line; ``result.raise_for_failures()`` raises one ``FetchError``
naming every failure. Per-file failures never raise from ``fetch_all``: the other files are
still fetched. Configuration problems (unknown source, a requested source without a URL, an
unwritable data directory, a bad month) raise ``FetchError`` at once.

From the TUI, run it in a thread worker (``@work(thread=True)``) and forward events with
``app.call_from_thread``; on ``result.changed`` reload the dataset from ``data_dir``. It runs
its own asyncio loop inside, so it must be called from a thread with no running loop (a thread
worker, the CLI), never awaited from inside one.

Safety: every body is streamed to a hidden staging folder beside its target, checked (HTTP 200,
content type, complete length, at most ``sources.max_bytes`` as sent and as inflated, a header
the loaders recognise or the JSON shape the endpoint documents), loaded by the real loader
(``crimefighters.data``), compared with the installed file's release (an older one is not
installed), and only then renamed over the previous copy. A whole attempt is bounded by
``sources.timeouts.total``; redirects are followed only to configured origins or public
addresses; every path written is proven inside the data folder. See ``download``, ``verify``
and ``safety``, and docs/reliability.md for the promises and the tests that hold them.
"""

from crimefighters.fetch.download import FetchCancelled, FetchEvent
from crimefighters.fetch.result import FetchResult, FileOutcome
from crimefighters.fetch.run import default_data_dir, fetch_all

__all__ = [
    "FetchCancelled",
    "FetchEvent",
    "FetchResult",
    "FileOutcome",
    "default_data_dir",
    "fetch_all",
]
