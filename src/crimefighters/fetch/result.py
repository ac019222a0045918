"""What a fetch did, file by file: the summary ``fetch_all`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from crimefighters.errors import FetchError

Status = Literal["planned", "fetched", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class FileOutcome:
    source: str  # e.g. "mps-borough-24m", "police-uk"
    label: str  # e.g. "mps-borough-24m", "crimes-street Lambeth 2025-01"
    status: Status
    target: Path | None = None
    detail: str = ""  # the URL planned, the reason skipped or failed, bytes fetched
    size: int | None = None

    def line(self) -> str:
        where = f" -> {self.target}" if self.target is not None else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.status:9} {self.label}{where}{detail}"


@dataclass
class FetchResult:
    data_dir: Path
    dry_run: bool = False
    outcomes: list[FileOutcome] = field(default_factory=list)

    def _with(self, status: Status) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def fetched(self) -> list[FileOutcome]:
        return self._with("fetched")

    @property
    def unchanged(self) -> list[FileOutcome]:
        return self._with("unchanged")

    @property
    def skipped(self) -> list[FileOutcome]:
        return self._with("skipped")

    @property
    def failed(self) -> list[FileOutcome]:
        return self._with("failed")

    @property
    def changed(self) -> bool:
        """True when any file was replaced: the caller should reload the data."""
        return bool(self.fetched)

    def summary(self) -> str:
        if self.dry_run:
            return (
                f"dry run: {len(self._with('planned'))} files would be fetched into {self.data_dir}"
            )
        return (
            f"{len(self.fetched)} fetched, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed in {self.data_dir}"
        )

    def raise_for_failures(self) -> None:
        """One line naming every file that failed and why; the old copies are untouched."""
        failed = self.failed
        if not failed:
            return
        attempted = len(failed) + len(self.fetched) + len(self.unchanged)
        reasons = "; ".join(f"{o.label}: {o.detail}" for o in failed)
        raise FetchError(
            f"could not fetch {len(failed)} of {attempted} files ({reasons}); "
            "the previous copies are untouched"
        )
