"""What an import gives back: `ImportResult` (the counts and transfers) or `ImportFailed`.

Both speak to a person: `ImportResult.summary()` and `ImportFailed.report()` are the
texts the `import_tokens` command prints.
"""

from dataclasses import dataclass, field

from inventory.models import Transfer


class ImportFailed(Exception):
    """Nothing was imported. `problems` lists every reason: `line N: ...` for a row."""

    def __init__(self, problems: list[str], *, file_problem: bool = False):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.file_problem = file_problem

    def report(self) -> str:
        """The text for a person: the problems, under a heading when rows are at fault."""
        if self.file_problem:
            return "\n".join(self.problems)
        count = len(self.problems)
        heading = f"Nothing was imported: {count} problem{'s' if count != 1 else ''} found."
        return "\n".join([heading, *self.problems])

    @classmethod
    def file(cls, message: str) -> "ImportFailed":
        """The file itself cannot be used (missing, wrong type, unreadable)."""
        return cls([message], file_problem=True)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportResult:
    tokens: Counts
    organizations: Counts
    customers: Counts
    orders: Counts
    parts: Counts
    stations: Counts
    evses: Counts
    #: The transfers recording the tokens this import moved (with `transfer_as`).
    transfers: list[Transfer] = field(default_factory=list)

    def summary(self) -> str:
        """What happened, for a person. Every token named in the file that existed already
        counts as updated, even if nothing about it changed (said separately)."""
        tokens = self.tokens
        updated = tokens.updated + tokens.unchanged
        lines = [
            f"Imported {tokens.total} tokens ({tokens.created} created, {updated} updated"
            + (f"; {tokens.unchanged} of them already up to date)." if tokens.unchanged else ").")
        ]
        for name in ("organizations", "customers", "orders", "parts", "stations", "evses"):
            counts = getattr(self, name)
            label = "EVSEs" if name == "evses" else name.capitalize()
            lines.append(
                f"{label}: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged."
            )
        for record in self.transfers:
            plural = "" if record.token_count == 1 else "s"
            lines.append(
                f"Transfer #{record.pk} by {record.created_by}: {record.token_count} "
                f"token{plural} moved into {record.to_organization.org_id}."
            )
        return "\n".join(lines)
