"""Uploaded files: known by their first bytes, stored once under their SHA-256, off the database.

Evidence, photos and attachments go through one storage interface (`Storage`); the local
folder is the default and the only kind today. Several hosts serving one city share that
folder (a network mount): names are content hashes written atomically, so hosts never
overwrite each other's files.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    magic: bytes


PDF = Kind(".pdf", "application/pdf", b"%PDF-")
JPG = Kind(".jpg", "image/jpeg", b"\xff\xd8\xff")
PNG = Kind(".png", "image/png", b"\x89PNG\r\n\x1a\n")
DOCX = Kind(
    ".docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"PK\x03\x04",
)
XLSX = Kind(
    ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"
)
DOCUMENTS = (PDF, JPG, PNG, DOCX, XLSX)
PHOTOS = (JPG, PNG)


def kind_of(filename: str, content: bytes, kinds: tuple[Kind, ...] = DOCUMENTS) -> Kind | None:
    """The file's kind, when its content and its name agree on one of the accepted kinds."""
    suffix = Path(filename).suffix.lower().replace(".jpeg", ".jpg")
    for k in kinds:
        if content.startswith(k.magic) and suffix == k.extension:
            return k
    return None


def path_of(root: Path, stored_name: str) -> Path:
    """Where a stored file lives: fanned out by the first two characters of its hash."""
    return root / stored_name[:2] / stored_name


@dataclass(frozen=True)
class Stored:
    stored_name: str
    sha256: str
    size: int
    kind: Kind


def store(root: Path, content: bytes, kind: Kind) -> Stored:
    """Writes the content once under its hash (atomically); the same file is stored once."""
    digest = hashlib.sha256(content).hexdigest()
    stored = digest + kind.extension
    target = path_of(root, stored)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(target)  # a reader never sees half a file
    return Stored(stored, digest, len(content), kind)


class Storage(Protocol):
    """Where uploaded files live: written once under their hash, read back by that name."""

    def put(self, content: bytes, kind: Kind) -> Stored:
        """Stores the content (once) and says under which name."""
        ...

    def path(self, stored_name: str) -> Path | None:
        """A local path to serve the stored file from, or None when it is missing."""
        ...

    def names(self) -> Iterator[str]:
        """Every stored name (for backups)."""
        ...


@dataclass(frozen=True)
class LocalFolder:
    """Files in a folder on this host (or a folder every host mounts)."""

    root: Path

    def put(self, content: bytes, kind: Kind) -> Stored:
        return store(self.root, content, kind)

    def path(self, stored_name: str) -> Path | None:
        found = path_of(self.root, stored_name)
        return found if found.is_file() else None

    def names(self) -> Iterator[str]:
        if self.root.is_dir():
            for p in sorted(self.root.glob("??/*")):
                if p.is_file() and not p.name.endswith(".part"):
                    yield p.name


def storage_for(settings) -> Storage:
    """The storage the settings name (today: the evidence folder)."""
    return LocalFolder(settings.evidence_dir)
