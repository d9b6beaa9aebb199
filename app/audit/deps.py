"""Sending a download: marked with who took it and when, and in the audit trail before it leaves.

Every download route takes `DownloadDep` and answers with its `send` or `file`. A GET
writes nothing in its own transaction, so the audit row is written in a short write
transaction of its own; a download whose row cannot be written within the bounded wait
is not sent (`Busy`: the same 503 as any write that could not get its lock in time).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import FileResponse, Response

from app.audit import service as audit
from app.core import sheets
from app.core.auth import Who
from app.core.db import is_busy
from app.core.errors import Busy
from app.core.permissions import Principal
from app.core.types import utcnow

# The query a download was asked with is kept this far (a filter is never long).
MAX_FILTERS = 20
MAX_FILTER_LENGTH = 200


@dataclass(frozen=True)
class Download:
    request: Request
    who: Principal
    mark: sheets.Mark

    def filters(self) -> dict[str, str]:
        """The query parameters the download was asked with."""
        items = list(self.request.query_params.multi_items())[:MAX_FILTERS]
        return {k[:40]: v[:MAX_FILTER_LENGTH] for k, v in items}

    def record(
        self,
        *,
        object_type: str,
        label: str,
        rows: int | None,
        object_id: int | None = None,
        file: str = "",
    ) -> None:
        """Writes the download's audit row and commits it, or raises Busy (a 503)."""
        try:
            with self.request.app.state.sessions(True) as session:
                audit.record_download(
                    session=session,
                    who=self.who,
                    object_type=object_type,
                    object_id=object_id,
                    label=label,
                    filters=self.filters(),
                    rows=rows,
                    file=file,
                )
                session.commit()
        except Exception as exc:
            if is_busy(exc):
                raise Busy from None
            raise

    def send(
        self,
        body: bytes,
        *,
        media_type: str,
        ascii_name: str,
        name: str,
        object_type: str,
        label: str,
        rows: int | None,
        object_id: int | None = None,
    ) -> Response:
        """Records the download, then answers with the file. A CSV's name carries the mark:
        a comment line at its top would be a row of its own in Excel and WPS."""
        if media_type == sheets.CSV_MEDIA_TYPE:
            ascii_name, name = self.mark.ascii_file_name(ascii_name), self.mark.file_name(name)
        self.record(object_type=object_type, label=label, rows=rows, object_id=object_id, file=name)
        return Response(body, media_type=media_type, headers=sheets.attachment(ascii_name, name))

    def file(
        self,
        path: Path,
        *,
        media_type: str,
        name: str,
        object_type: str,
        object_id: int,
    ) -> FileResponse:
        """Records the download of a stored file (evidence, an attachment), then sends it."""
        self.record(object_type=object_type, label=name, rows=None, object_id=object_id, file=name)
        headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
        return FileResponse(path, media_type=media_type, headers=headers)


# Reads no database, so `async` like the security layer's own: a plain def would take a
# turn in the thread pool, whose few threads are for database work.
async def download(request: Request, who: Who) -> Download:
    """The route's download: who is asking, and the mark its file will carry."""
    return Download(
        request, who, sheets.Mark(who.display_name or who.username, who.username, utcnow())
    )


DownloadDep = Annotated[Download, Depends(download)]
