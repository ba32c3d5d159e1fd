"""nbval settings for the chapter notebooks.

nbval compares what a reader sees. It already skips ``image/png`` outputs (pixels depend on the
font stack and the CPU); figures glued into the prose are stored under
``application/papermill.record/image/png``, which it does not know: skip those too. Glued numbers
are stored at their displayed precision (``analysis.report.book.glue_numbers``) and are compared.
"""

from __future__ import annotations

GLUED_IMAGES = ("application/papermill.record/image/png", "application/papermill.record/image/svg+xml")


def pytest_collection_modifyitems(items):
    for item in items:
        parent = getattr(item, "parent", None)
        skip = getattr(parent, "skip_compare", None)
        if skip is not None and GLUED_IMAGES[0] not in skip:
            parent.skip_compare = tuple(skip) + GLUED_IMAGES
