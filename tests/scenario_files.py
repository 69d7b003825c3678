"""Small scenario files written by tests: a head (id, documents, title) and a body."""

from __future__ import annotations

from pathlib import Path

HEAD = 'id = "{name}"\ndocuments = "{documents}"\ntitle = "t"\n'

#: A perform scenario with a misspelt key (`timout_ms`).
MISSPELT = """[server]
fault = "close-without-reply"
[client]
url = "{url}/"
timout_ms = 300
[expect]
curl_code = [52]
"""

#: The start of a box-sequence scenario against the fake Box.
BOX = """[server]
fault = "fakebox"
[client]
step = "box-sequence"
"""

#: A shared set-up file (`include = "setup/..."`): one folder, its id saved as folder_id.
INCLUDE = """about = "a folder"
[[requests]]
method = "POST"
path = "/2.0/folders"
json = { name = "inc-{unique}", parent = { id = "0" } }
expect_status = 201
save = { folder_id = "id" }
"""


def write(folder: Path, name: str, body: str, documents: str = "curl:52") -> Path:
    """Write `folder/name.toml`: the head for `name` and `documents`, then `body`."""
    path = folder / f"{name}.toml"
    path.write_text(HEAD.format(name=name, documents=documents) + body, encoding="utf-8")
    return path
