"""Shared fixtures.

``data_home``: the real-data folder for tests marked ``needs_data``. Name the datasets a test
needs in the marker, ``@pytest.mark.needs_data("ztf_bts_antares", "bts_catalog")``; the fixture
returns ``$ASTROKERAS_DATA`` when it is set and holds those sub-folders. Otherwise the test is
skipped with the reason - except when ``CI=true``, where missing data is a failure.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def data_home(request) -> str:
    marker = request.node.get_closest_marker("needs_data")
    needed = list(marker.args) if marker else []
    home = os.environ.get("ASTROKERAS_DATA")
    if not home:
        problem = "ASTROKERAS_DATA is not set"
    else:
        home = os.path.abspath(os.path.expanduser(home))
        missing = [name for name in needed if not os.path.isdir(os.path.join(home, name))]
        problem = (f"ASTROKERAS_DATA={home} has no {', '.join(missing)}" if missing
                   else None if os.path.isdir(home) else f"ASTROKERAS_DATA={home} does not exist")
    if problem is None:
        return home
    reason = f"needs real data ({', '.join(needed) or 'data home'}): {problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: missing data is a failure)")
    pytest.skip(reason)
