"""The request class: a body over the limit is refused whole, whatever its transfer encoding."""
from __future__ import annotations

import io

from flask import Request as FlaskRequest
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge, RequestTimeout
from werkzeug.utils import cached_property
from werkzeug.wsgi import get_input_stream

from chancery.api.errors import too_large_message

CHUNK = 64 * 1024


class Request(FlaskRequest):
    """A Flask request whose body is read whole and bounded before anything uses it.

    Werkzeug caps a chunked body at the limit and hands on what it read, so a body
    over the limit whose cut fell on a line end was written in part. Reading one
    byte past the limit tells the two apart.
    """

    @cached_property
    def stream(self):
        limit = self.max_content_length
        too_large = RequestEntityTooLarge(too_large_message(limit))
        if limit is not None and (self.content_length or 0) > limit:
            raise too_large
        stream = get_input_stream(self.environ, max_content_length=None if limit is None else limit + 1)
        chunks, size = [], 0
        try:
            while chunk := stream.read(CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if limit is not None and size > limit:
                    raise too_large
        except Exception as error:
            # Werkzeug reports a failed read as the client gone (a 400); a timeout is ours to name.
            if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
                raise RequestTimeout("the request body stopped arriving for longer than the read timeout "
                                     "(CHANCERY_READ_TIMEOUT); nothing was written") from None
            if isinstance(error, HTTPException):
                raise      # the WSGI server's own parse errors, e.g. a bad chunk size
            raise BadRequest(f"the request body could not be read ({error}); nothing was written") from None
        return io.BytesIO(b"".join(chunks))
