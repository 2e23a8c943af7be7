"""The analysts' newsroom: a read-only web application over the news alias (`newswire ui`)."""
