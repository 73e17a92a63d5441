"""The studio from a script: fit an example clip for 3 seconds, then render it at twice its size as a GIF.

    python app.py &                                   # the studio, at http://127.0.0.1:7860/
    python scripts/api_example.py [http://127.0.0.1:7860/]

Every action of the page has one name (see "Use via API" at the foot of the page). Calls from one
Client share a session, as tabs of one page do: /render renders what /fit fitted.
"""

import sys

from gradio_client import Client

client = Client(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/", verbose=False)
stats, *_ = client.predict(example="carphone.gif", upload=None, seconds=3, api_name="/fit")
print(stats)
video, files, info = client.predict(spatial=2, temporal=1, api_name="/render")
print(info)
print(next(f for f in files if f.endswith(".gif")))  # the GIF, downloaded
