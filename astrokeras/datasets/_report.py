"""What a dataset loader did to the files it read: the validation report plus its own repairs."""

from __future__ import annotations

import dataclasses

from astrokeras.photometry import ValidationReport

__all__ = ["LoadReport"]


@dataclasses.dataclass
class LoadReport:
    """The record of one load: documented repairs with counts, and where the data came from.

    Attributes:
        dataset: dataset name (for example ``"ztf_bts_antares"``).
        source: folder (or files) read.
        repairs: ``{what: count}`` for the loader's own documented repairs (for example
            ``"dropped magnitude >= 25 (clipped)": 51``).
        notes: free-text facts about the load (table precedence, cache use, ...).
        validation: the :class:`~astrokeras.photometry.ValidationReport` of
            :meth:`LightCurves.validate` run on the loaded set.
    """

    dataset: str
    source: str
    repairs: dict = dataclasses.field(default_factory=dict)
    notes: list = dataclasses.field(default_factory=list)
    validation: ValidationReport = dataclasses.field(default_factory=ValidationReport)

    def __str__(self) -> str:
        lines = [f"LoadReport({self.dataset} from {self.source})"]
        lines += [f"  repaired: {what}: {count}" for what, count in self.repairs.items()]
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(f"  {self.validation}")
        return "\n".join(lines)
